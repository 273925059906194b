-- When the customer last added a message to the ticket: a burst of follow-ups is acknowledged
-- once (bot/followups.py), not line by line. Adding a column rewrites no row.
ALTER TABLE tickets ADD COLUMN customer_wrote_at TEXT;
