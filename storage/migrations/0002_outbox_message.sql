-- Which ticket message an outbox row relays, so the desk can see it delivered and an agent's
-- edit can find what the customer received.
ALTER TABLE outbox ADD COLUMN message_id INTEGER;
CREATE INDEX outbox_by_message ON outbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX ticket_messages_by_event ON ticket_messages (event_id) WHERE event_id IS NOT NULL;
