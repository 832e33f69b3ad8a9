-- Queue messages the consumer set aside instead of counting, so that they neither hold the rest
-- of their batch back nor bounce until the DLQ: poison events (Postgres refused them even alone),
-- malformed messages, and events older than the exactly-once ledger's horizon (possibly counted
-- already). Kept for inspection and replay. One row per queue message: a redelivered message
-- finds its row and adds none. Text columns never hold NUL (the consumer strips it), so this
-- insert cannot fail the way the poison did.
CREATE TABLE rejected_events (
  message_id  text        PRIMARY KEY,
  event_id    text,
  reason      text        NOT NULL,
  body        text        NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now()
);
-- Read by time ("what was set aside since the deploy"), and the order rows arrive in.
CREATE INDEX rejected_events_rejected_at ON rejected_events (rejected_at);
