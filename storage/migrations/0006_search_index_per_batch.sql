-- New messages are added to the full-text index once per write batch, by the writer, in the
-- same transaction as the batch (see Store._run_batch), instead of by a trigger per row: the
-- trigger cost about 45 µs per message, most of a follow-up's SQL time.
-- search_progress holds the newest message id already indexed. Messages are never deleted
-- (erasure overwrites them), so ids only grow and "id > message_id" is exactly what is new.
CREATE TABLE search_progress (
    message_id INTEGER NOT NULL
);
INSERT INTO search_progress (message_id) SELECT COALESCE(MAX(id), 0) FROM ticket_messages;

DROP TRIGGER ticket_messages_fts_insert;

-- An edit or deletion of a message not indexed yet must not touch the index: removing terms
-- it never held corrupts an external-content FTS5 index. The batch indexes its newest body.
DROP TRIGGER ticket_messages_fts_update;
CREATE TRIGGER ticket_messages_fts_update AFTER UPDATE OF body ON ticket_messages
WHEN old.id <= (SELECT message_id FROM search_progress) BEGIN
    INSERT INTO ticket_messages_fts (ticket_messages_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
    INSERT INTO ticket_messages_fts (rowid, body) VALUES (new.id, new.body);
END;
DROP TRIGGER ticket_messages_fts_delete;
CREATE TRIGGER ticket_messages_fts_delete AFTER DELETE ON ticket_messages
WHEN old.id <= (SELECT message_id FROM search_progress) BEGIN
    INSERT INTO ticket_messages_fts (ticket_messages_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
END;
