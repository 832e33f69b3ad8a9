-- Analytics schema: 10-second aggregates (contract section 4) and the ledger of applied event ids
-- that makes counting exactly-once. Keyed by profile id: a username can change hands.

-- Ids of events already folded into the aggregates, kept past the queue's retention, then pruned.
CREATE TABLE applied_events (
  id         text        PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
-- Rows arrive in applied_at order, so a BRIN index serves the prune at almost no write cost.
CREATE INDEX applied_events_applied_at ON applied_events USING brin (applied_at);

CREATE TABLE link_clicks (
  profile_id   text        NOT NULL,
  window_start timestamptz NOT NULL,
  link_id      text        NOT NULL,
  n            bigint      NOT NULL CHECK (n >= 0),
  PRIMARY KEY (profile_id, window_start, link_id)
);

CREATE TABLE profile_views (
  profile_id   text        NOT NULL,
  window_start timestamptz NOT NULL,
  n            bigint      NOT NULL CHECK (n >= 0),
  PRIMARY KEY (profile_id, window_start)
);

-- Clicks per referrer host and per country, per profile and window.
CREATE TABLE referrer_clicks (
  profile_id   text        NOT NULL,
  window_start timestamptz NOT NULL,
  referrer     text        NOT NULL,
  n            bigint      NOT NULL CHECK (n >= 0),
  PRIMARY KEY (profile_id, window_start, referrer)
);

CREATE TABLE country_clicks (
  profile_id   text        NOT NULL,
  window_start timestamptz NOT NULL,
  country      text        NOT NULL,
  n            bigint      NOT NULL CHECK (n >= 0),
  PRIMARY KEY (profile_id, window_start, country)
);
