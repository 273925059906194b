-- Support operations: timers, overdue and escalation flags, ratings, fair use, agents.

-- Timers are rows with a due time, swept periodically: a restart loses none, and firing one
-- marks it in the same transaction as its effects, so none fires twice.
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    kind TEXT NOT NULL,            -- overdue, escalate, auto_close
    due_at TEXT NOT NULL,
    fired_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;
CREATE INDEX timers_by_ticket ON timers (ticket_id, kind);

ALTER TABLE tickets ADD COLUMN overdue_at TEXT;
ALTER TABLE tickets ADD COLUMN escalated_at TEXT;
ALTER TABLE tickets ADD COLUMN reminded_at TEXT;
ALTER TABLE tickets ADD COLUMN rating INTEGER;
ALTER TABLE tickets ADD COLUMN rating_comment TEXT;
ALTER TABLE tickets ADD COLUMN related_ticket_id INTEGER;
CREATE INDEX tickets_by_created ON tickets (created_at);

-- Fair use: a token bucket per customer, persisted so a restart does not reset it.
ALTER TABLE customers ADD COLUMN rate_tokens REAL;
ALTER TABLE customers ADD COLUMN rate_updated_at TEXT;
ALTER TABLE customers ADD COLUMN throttled_at TEXT;
ALTER TABLE customers ADD COLUMN timezone TEXT;

-- What a customer wrote while over the message limit and had no ticket to put it in.
CREATE TABLE held_messages (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    body TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    event_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX held_messages_by_customer ON held_messages (customer_id, id);

-- Agents known to the desk, for round-robin assignment among those available.
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    available INTEGER NOT NULL DEFAULT 1,
    last_assigned_at TEXT
) WITHOUT ROWID;
