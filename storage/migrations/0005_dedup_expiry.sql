-- Processed event ids are forgotten after a while (platforms re-deliver within hours, and
-- Telegram may reuse update ids after a quiet week), so they are pruned by age.
CREATE INDEX processed_events_by_age ON processed_events (processed_at);
