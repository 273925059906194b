-- What agents look tickets up by from the Slack desk (/ticket search, /ticket mine): full-text
-- indexes over subjects, form fields and message bodies, kept in step by triggers, and an
-- index by assignee. The unicode61 tokenizer folds case and most diacritics ("zamowienie"
-- finds "zamówienie").
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, status)
    WHERE assignee_id IS NOT NULL;

CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    subject, fields, content = 'tickets', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, subject, fields) VALUES (new.id, new.subject, new.fields);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF subject, fields ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, fields)
        VALUES ('delete', old.id, old.subject, old.fields);
    INSERT INTO tickets_fts (rowid, subject, fields) VALUES (new.id, new.subject, new.fields);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject, fields)
        VALUES ('delete', old.id, old.subject, old.fields);
END;

CREATE VIRTUAL TABLE ticket_messages_fts USING fts5 (
    body, content = 'ticket_messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER ticket_messages_fts_insert AFTER INSERT ON ticket_messages BEGIN
    INSERT INTO ticket_messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER ticket_messages_fts_update AFTER UPDATE OF body ON ticket_messages BEGIN
    INSERT INTO ticket_messages_fts (ticket_messages_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
    INSERT INTO ticket_messages_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER ticket_messages_fts_delete AFTER DELETE ON ticket_messages BEGIN
    INSERT INTO ticket_messages_fts (ticket_messages_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
END;

-- Index what is already there.
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');
INSERT INTO ticket_messages_fts (ticket_messages_fts) VALUES ('rebuild');
