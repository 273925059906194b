-- Customers are identified by their chat app and that app's user id.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    locale TEXT,
    language TEXT,              -- chosen by the customer; NULL follows the app's locale
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (platform, platform_user_id)
);

-- The ticket id is the number customers and agents quote.
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    category TEXT NOT NULL,
    subject TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'normal',
    assignee_id TEXT,
    assignee_name TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    first_response_due TEXT,
    first_response_at TEXT,
    resolved_at TEXT,
    closed_at TEXT
);
CREATE INDEX tickets_by_customer ON tickets (customer_id, id DESC);
CREATE INDEX tickets_by_status ON tickets (status, priority, id);

CREATE TABLE ticket_messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    author_kind TEXT NOT NULL,     -- customer, agent, system
    author_id TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    internal INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    event_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id);

-- Every change to a ticket, with who and when.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,            -- created, status, priority, assignee, delivery_failed, ...
    old_value TEXT,
    new_value TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, id);

-- Where a customer stands in a conversation (an intake form half filled, a pending choice).
CREATE TABLE conversations (
    customer_id INTEGER PRIMARY KEY REFERENCES customers (id),
    state TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- Inbound event ids already applied: a re-delivery is recognised and dropped.
CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
) WITHOUT ROWID;

-- What the bot must still say or do; delivered after the transaction that created it commits.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,     -- the platform of a customer, or 'desk'
    recipient TEXT NOT NULL,       -- one conversation: rows to it are delivered in order
    ticket_id INTEGER,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    delivered_at TEXT,
    delivered_ref TEXT,            -- the platform's id of what was sent
    failed_at TEXT,
    error TEXT
);
CREATE INDEX outbox_pending ON outbox (id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- The agents' desk thread of each ticket.
CREATE TABLE desk_threads (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id),
    desk TEXT NOT NULL,
    channel TEXT NOT NULL,
    thread_ref TEXT NOT NULL
);
CREATE UNIQUE INDEX desk_threads_by_ref ON desk_threads (desk, channel, thread_ref);
