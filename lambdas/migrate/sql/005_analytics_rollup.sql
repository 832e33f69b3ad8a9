-- Analytics written once per event, rolled up by a job: the consumer's transaction appends a
-- batch's 10-second rows to `analytics_raw` and one row to `analytics_pending`; the rollup job
-- (adapters/pg-analytics-store.ts rollup()) takes pending batches, adds their raw rows into the
-- hourly and daily tables and deletes the pending rows, all in one transaction: exact (every raw
-- row is added once, when its batch leaves `analytics_pending`) and idempotent (a job that fails
-- rolls back whole and the batches stay pending). Reports read hourly and daily rows plus the raw
-- rows of the batches still pending, in one statement, so coarse and fine agree at every instant.
--
-- analytics_raw: one row per signature (every dimension at once; '' where absent) per 10-second
-- window per batch, with views, clicks and the visitors (`visitors`) and link visitors (`uniques`)
-- first seen that day in it. Append-only, no unique key: a report sums the rows of a window.
-- Indexed by (profile, bucket) for reports, and by batch (BRIN: batches are appended in order)
-- for the job.
--
-- analytics_hsig/dsig: the same signature rows per hour/day; `covered` when the (profile, bucket)
-- had at least COVER_MIN (core/analytics.ts) events in the job run that added it, and then also summed into
-- analytics_hdims/ddims per breakdown value (dim 0 the totals, 1 referrer, 2 region, 3 city,
-- 4 browser, 5 OS, 6-8 UTM source/medium/campaign, 9 link, 10 country, 11 device), and the daily
-- ones per month into analytics_mdims. An unfiltered report reads the dims rows and only the
-- uncovered signatures; a filtered one, the signatures.

CREATE TABLE analytics_raw (
  profile_id   text COLLATE "C" NOT NULL,
  bucket       timestamptz NOT NULL,
  link_id      text COLLATE "C" NOT NULL, -- '' for views
  country      text COLLATE "C" NOT NULL,
  device       text COLLATE "C" NOT NULL,
  referrer     text COLLATE "C" NOT NULL,
  region       text COLLATE "C" NOT NULL,
  city         text COLLATE "C" NOT NULL,
  browser      text COLLATE "C" NOT NULL,
  os           text COLLATE "C" NOT NULL,
  utm_source   text COLLATE "C" NOT NULL,
  utm_medium   text COLLATE "C" NOT NULL,
  utm_campaign text COLLATE "C" NOT NULL,
  views        integer NOT NULL CHECK (views >= 0),
  clicks       integer NOT NULL CHECK (clicks >= 0),
  visitors     integer NOT NULL CHECK (visitors >= 0),
  uniques      integer NOT NULL CHECK (uniques >= 0),
  batch        bigint  NOT NULL
) PARTITION BY RANGE (bucket);
CREATE INDEX analytics_raw_profile ON analytics_raw (profile_id, bucket);
CREATE INDEX analytics_raw_batch ON analytics_raw USING brin (batch);
CREATE TABLE analytics_raw_default PARTITION OF analytics_raw DEFAULT;

CREATE SEQUENCE analytics_batch_seq;

-- One row per applied batch not yet rolled up: its id and the buckets its raw rows span.
CREATE TABLE analytics_pending (
  batch bigint PRIMARY KEY,
  lo    timestamptz NOT NULL,
  hi    timestamptz NOT NULL
);

CREATE TABLE analytics_hsig (
  profile_id   text COLLATE "C" NOT NULL,
  bucket       timestamptz NOT NULL,
  link_id      text COLLATE "C" NOT NULL,
  country      text COLLATE "C" NOT NULL,
  device       text COLLATE "C" NOT NULL,
  referrer     text COLLATE "C" NOT NULL,
  region       text COLLATE "C" NOT NULL,
  city         text COLLATE "C" NOT NULL,
  browser      text COLLATE "C" NOT NULL,
  os           text COLLATE "C" NOT NULL,
  utm_source   text COLLATE "C" NOT NULL,
  utm_medium   text COLLATE "C" NOT NULL,
  utm_campaign text COLLATE "C" NOT NULL,
  covered      boolean NOT NULL,
  views        bigint NOT NULL CHECK (views >= 0),
  clicks       bigint NOT NULL CHECK (clicks >= 0),
  visitors     bigint NOT NULL CHECK (visitors >= 0),
  uniques      bigint NOT NULL CHECK (uniques >= 0),
  PRIMARY KEY (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
               utm_source, utm_medium, utm_campaign, covered)
) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_hsig_default PARTITION OF analytics_hsig DEFAULT;

CREATE TABLE analytics_dsig (LIKE analytics_hsig INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
               utm_source, utm_medium, utm_campaign, covered));

CREATE TABLE analytics_hdims (
  profile_id text COLLATE "C" NOT NULL,
  bucket     timestamptz NOT NULL,
  dim        smallint NOT NULL,
  country    text COLLATE "C" NOT NULL, -- the region's or city's country, else ''
  value      text COLLATE "C" NOT NULL, -- '' for the totals
  views      bigint NOT NULL CHECK (views >= 0),
  clicks     bigint NOT NULL CHECK (clicks >= 0),
  visitors   bigint NOT NULL CHECK (visitors >= 0),
  uniques    bigint NOT NULL CHECK (uniques >= 0),
  PRIMARY KEY (profile_id, bucket, dim, country, value)
) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_hdims_default PARTITION OF analytics_hdims DEFAULT;

CREATE TABLE analytics_ddims (LIKE analytics_hdims INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, dim, country, value));

-- The daily dims summed per UTC month (bucket = the month's start): a long unfiltered report
-- reads a whole month's breakdowns as one month's rows, not thirty days'.
CREATE TABLE analytics_mdims (LIKE analytics_hdims INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, dim, country, value));

-- An unfiltered report reads the uncovered signatures of its range: few, found by these.
CREATE INDEX analytics_hsig_uncovered ON analytics_hsig (profile_id, bucket) WHERE NOT covered;
CREATE INDEX analytics_dsig_uncovered ON analytics_dsig (profile_id, bucket) WHERE NOT covered;

-- The data of migration 004, moved exactly. Signature rows keep their counts; the facts rows'
-- visitors and uniques (which 004 kept per link, country and device only) become rows of their
-- own with no views or clicks, uncovered, so every total stays what it was.
INSERT INTO analytics_raw
SELECT profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
       utm_source, utm_medium, utm_campaign, sum(views)::int, sum(clicks)::int, 0, 0, 0
  FROM analytics_sig_10s GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
UNION ALL
SELECT profile_id, bucket, link_id, country, device, '', '', '', '', '', '', '', '', 0, 0, visitors::int, uniques::int, 0
  FROM analytics_facts_10s WHERE visitors + uniques > 0;

INSERT INTO analytics_hsig
SELECT profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
       utm_source, utm_medium, utm_campaign, covered, views, clicks, 0, 0
  FROM analytics_sig_1h
UNION ALL
SELECT profile_id, bucket, link_id, country, device, '', '', '', '', '', '', '', '', false, 0, 0, visitors, uniques
  FROM analytics_facts_1h WHERE visitors + uniques > 0;

INSERT INTO analytics_dsig
SELECT profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
       utm_source, utm_medium, utm_campaign, covered, views, clicks, 0, 0
  FROM analytics_sig_1d
UNION ALL
SELECT profile_id, bucket, link_id, country, device, '', '', '', '', '', '', '', '', false, 0, 0, visitors, uniques
  FROM analytics_facts_1d WHERE visitors + uniques > 0;

-- 004's dims rows were the breakdowns (1-8) of the covered signatures; the totals, links,
-- countries and devices of the same signatures are added.
INSERT INTO analytics_hdims
SELECT profile_id, bucket, dim, country, value, views, clicks, 0, 0 FROM analytics_dims_1h
UNION ALL
SELECT profile_id, bucket, x.dim, '', x.value, sum(views), sum(clicks), 0, 0
  FROM analytics_sig_1h s
 CROSS JOIN LATERAL (VALUES (0::int2, ''), (9::int2, s.link_id), (10::int2, s.country), (11::int2, s.device)) AS x (dim, value)
 WHERE covered AND (x.dim <> 9 OR x.value <> '')
 GROUP BY 1, 2, 3, 5;

INSERT INTO analytics_ddims
SELECT profile_id, bucket, dim, country, value, views, clicks, 0, 0 FROM analytics_dims_1d
UNION ALL
SELECT profile_id, bucket, x.dim, '', x.value, sum(views), sum(clicks), 0, 0
  FROM analytics_sig_1d s
 CROSS JOIN LATERAL (VALUES (0::int2, ''), (9::int2, s.link_id), (10::int2, s.country), (11::int2, s.device)) AS x (dim, value)
 WHERE covered AND (x.dim <> 9 OR x.value <> '')
 GROUP BY 1, 2, 3, 5;

-- Visitor dedupe moves into the ledger's uuid index (cheaper than two partitioned text-keyed
-- tables): a visitor's key is its hash, a link visitor's md5 of profile, link and visitor
-- (core/analytics.ts visitorKey, linkVisitorKey). Pruned with the ids, a day later.
INSERT INTO applied_events (id)
SELECT visitor FROM analytics_visitors
UNION
SELECT md5(profile_id || chr(1) || link_id || chr(1) || visitor::text)::uuid FROM analytics_link_visitors
ON CONFLICT (id) DO NOTHING;

INSERT INTO analytics_mdims
SELECT profile_id, date_trunc('month', bucket, 'UTC'), dim, country, value, sum(views), sum(clicks), sum(visitors), sum(uniques)
  FROM analytics_ddims GROUP BY 1, 2, 3, 4, 5;

DROP TABLE analytics_facts_10s, analytics_facts_1h, analytics_facts_1d,
           analytics_sig_10s, analytics_sig_1h, analytics_sig_1d,
           analytics_dims_1h, analytics_dims_1d,
           analytics_visitors, analytics_link_visitors;
DROP FUNCTION analytics_ensure_partitions(date, date);

-- Partitions for the UTC days [from_day, to_day] (raw table) and the months they
-- touch (hourly tables). Returns how many it created. (analytics_add_partition is migration 004's.)
CREATE FUNCTION analytics_ensure_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  d date;
  m date;
  lo text;
  hi text;
  n integer := 0;
BEGIN
  d := from_day;
  WHILE d <= to_day LOOP
    lo := to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi := to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00';
    n := n + analytics_add_partition('analytics_raw', 'bucket', 'analytics_raw_p' || to_char(d, 'YYYYMMDD'), lo, hi)::int;
    d := d + 1;
  END LOOP;
  m := date_trunc('month', from_day)::date;
  WHILE m <= to_day LOOP
    lo := to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi := to_char((m + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';
    n := n + analytics_add_partition('analytics_hsig', 'bucket', 'analytics_hsig_p' || to_char(m, 'YYYYMM'), lo, hi)::int;
    n := n + analytics_add_partition('analytics_hdims', 'bucket', 'analytics_hdims_p' || to_char(m, 'YYYYMM'), lo, hi)::int;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN n;
END $$;

SELECT analytics_ensure_partitions(
  greatest(coalesce((SELECT min(bucket) FROM analytics_raw), now()) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' - interval '31 days')::date,
  (now() AT TIME ZONE 'UTC' + interval '7 days')::date);
