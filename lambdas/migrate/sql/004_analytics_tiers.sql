-- Analytics at a year of data: three tiers of the same counts (10-second raw windows, hours,
-- days), each a facts table (views, clicks, visitors per profile, bucket, link, country, device)
-- and a signature table (views and clicks per every dimension at once: the filter columns plus
-- referrer host, region, city, browser, OS, UTM source/medium/campaign), so a linkId/country/
-- device filter narrows every number; the hourly and daily tiers also have a dims table (per
-- breakdown value, summed over the filter columns) for busy profiles' unfiltered reports. The
-- consumer writes all three tiers in the batch transaction, so an hourly or daily row is exactly
-- the sum of the raw windows it covers.
--
-- Text keys compare bytewise (COLLATE "C"): cheaper index inserts than a locale's collation,
-- and the order the consumer sorts its rows in.
--
-- Retention without long locks: raw tables are range-partitioned by day, hourly ones by month,
-- and old partitions are dropped (the consumer does it now and then, and creates partitions
-- ahead). Daily tables are kept for good. A default partition catches a row whose partition
-- does not exist (yet, or any more), so an insert never fails for want of one.
--
-- Visitors: (day, profile, visitor) and (day, profile, link, visitor) dedupe tables, partitioned
-- by day and dropped after a few days: a visitor's first event of the UTC day adds 1 to
-- `visitors` of the rows of that event, a visitor's first click of the day on a link adds 1 to
-- `uniques` of that click's rows.

CREATE TABLE analytics_facts_10s (
  profile_id text COLLATE "C" NOT NULL,
  bucket     timestamptz NOT NULL,
  link_id    text COLLATE "C" NOT NULL, -- '' for views
  country    text COLLATE "C" NOT NULL,
  device     text COLLATE "C" NOT NULL,
  views      bigint      NOT NULL DEFAULT 0 CHECK (views >= 0),
  clicks     bigint      NOT NULL DEFAULT 0 CHECK (clicks >= 0),
  visitors   bigint      NOT NULL DEFAULT 0 CHECK (visitors >= 0),
  uniques    bigint      NOT NULL DEFAULT 0 CHECK (uniques >= 0),
  PRIMARY KEY (profile_id, bucket, link_id, country, device)
) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_facts_10s_default PARTITION OF analytics_facts_10s DEFAULT;

CREATE TABLE analytics_facts_1h (LIKE analytics_facts_10s INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, link_id, country, device)) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_facts_1h_default PARTITION OF analytics_facts_1h DEFAULT;

CREATE TABLE analytics_facts_1d (LIKE analytics_facts_10s INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, link_id, country, device));

-- One row per signature; '' where a dimension is absent. `covered`: the same counts are also in
-- the tier's dims rows (a (profile, bucket) with enough events in its batch), so an unfiltered
-- read takes those and only the uncovered signatures.
CREATE TABLE analytics_sig_10s (
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
  covered      boolean     NOT NULL,
  views        bigint      NOT NULL DEFAULT 0 CHECK (views >= 0),
  clicks       bigint      NOT NULL DEFAULT 0 CHECK (clicks >= 0),
  PRIMARY KEY (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
               utm_source, utm_medium, utm_campaign, covered)
) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_sig_10s_default PARTITION OF analytics_sig_10s DEFAULT;

CREATE TABLE analytics_sig_1h (LIKE analytics_sig_10s INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
               utm_source, utm_medium, utm_campaign, covered)) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_sig_1h_default PARTITION OF analytics_sig_1h DEFAULT;

CREATE TABLE analytics_sig_1d (LIKE analytics_sig_10s INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
               utm_source, utm_medium, utm_campaign, covered));

-- Per breakdown value, summed over links, countries and devices: the covered signatures' counts.
-- Region and city rows keep their country; `country` is '' for the other dims.
CREATE TABLE analytics_dims_1h (
  profile_id text COLLATE "C" NOT NULL,
  bucket     timestamptz NOT NULL,
  dim        smallint    NOT NULL, -- 1 referrer, 2 region, 3 city, 4 browser, 5 os, 6-8 utm source/medium/campaign
  country    text COLLATE "C" NOT NULL,
  value      text COLLATE "C" NOT NULL,
  views      bigint      NOT NULL DEFAULT 0 CHECK (views >= 0),
  clicks     bigint      NOT NULL DEFAULT 0 CHECK (clicks >= 0),
  PRIMARY KEY (profile_id, bucket, dim, country, value)
) PARTITION BY RANGE (bucket);
CREATE TABLE analytics_dims_1h_default PARTITION OF analytics_dims_1h DEFAULT;

CREATE TABLE analytics_dims_1d (LIKE analytics_dims_1h INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  PRIMARY KEY (profile_id, bucket, dim, country, value));

CREATE TABLE analytics_visitors (
  day        date NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  visitor    uuid NOT NULL,
  PRIMARY KEY (day, profile_id, visitor)
) PARTITION BY RANGE (day);
CREATE TABLE analytics_visitors_default PARTITION OF analytics_visitors DEFAULT;

CREATE TABLE analytics_link_visitors (
  day        date NOT NULL,
  profile_id text COLLATE "C" NOT NULL,
  link_id    text COLLATE "C" NOT NULL,
  visitor    uuid NOT NULL,
  PRIMARY KEY (day, profile_id, link_id, visitor)
) PARTITION BY RANGE (day);
CREATE TABLE analytics_link_visitors_default PARTITION OF analytics_link_visitors DEFAULT;

-- Creates partition `child` of `parent` for [lo, hi) unless it exists. Rows of that range already
-- in the default partition move into it first (ATTACH would refuse otherwise).
CREATE FUNCTION analytics_add_partition(parent text, col text, child text, lo text, hi text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass(child) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', child, parent);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %L AND %I < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 parent || '_default', col, lo, col, hi, child);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, child, lo, hi);
  RETURN true;
END $$;

-- Partitions for the UTC days [from_day, to_day] (raw and visitor tables) and the months they
-- touch (hourly tables). Returns how many it created.
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
    n := n + analytics_add_partition('analytics_facts_10s', 'bucket', 'analytics_facts_10s_p' || to_char(d, 'YYYYMMDD'), lo, hi)::int;
    n := n + analytics_add_partition('analytics_sig_10s', 'bucket', 'analytics_sig_10s_p' || to_char(d, 'YYYYMMDD'), lo, hi)::int;
    n := n + analytics_add_partition('analytics_visitors', 'day', 'analytics_visitors_p' || to_char(d, 'YYYYMMDD'),
                                     to_char(d, 'YYYY-MM-DD'), to_char(d + 1, 'YYYY-MM-DD'))::int;
    n := n + analytics_add_partition('analytics_link_visitors', 'day', 'analytics_link_visitors_p' || to_char(d, 'YYYYMMDD'),
                                     to_char(d, 'YYYY-MM-DD'), to_char(d + 1, 'YYYY-MM-DD'))::int;
    d := d + 1;
  END LOOP;
  m := date_trunc('month', from_day)::date;
  WHILE m <= to_day LOOP
    lo := to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00';
    hi := to_char((m + interval '1 month')::date, 'YYYY-MM-DD') || ' 00:00:00+00';
    n := n + analytics_add_partition('analytics_facts_1h', 'bucket', 'analytics_facts_1h_p' || to_char(m, 'YYYYMM'), lo, hi)::int;
    n := n + analytics_add_partition('analytics_sig_1h', 'bucket', 'analytics_sig_1h_p' || to_char(m, 'YYYYMM'), lo, hi)::int;
    n := n + analytics_add_partition('analytics_dims_1h', 'bucket', 'analytics_dims_1h_p' || to_char(m, 'YYYYMM'), lo, hi)::int;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN n;
END $$;

-- The existing 10-second data, moved exactly. It never recorded which link a country's click was
-- on, nor which link or country a referrer's, only the totals per window: clicks are split over
-- (link, country) and then over referrers by the northwest-corner rule, which keeps every
-- per-link, per-country and per-referrer total exact (only the crosses, never asked before, are
-- a reconstruction). No device, browser, OS or visitor was recorded: device 'other', browser and
-- OS 'Other', visitors 0; views had no referrer.
CREATE TEMP TABLE legacy_facts ON COMMIT DROP AS
WITH l AS (
  SELECT profile_id, window_start, link_id,
         sum(n) OVER w - n AS lo, sum(n) OVER w AS hi
    FROM link_clicks
  WINDOW w AS (PARTITION BY profile_id, window_start ORDER BY link_id COLLATE "C" ROWS UNBOUNDED PRECEDING)
), c AS (
  SELECT profile_id, window_start, country,
         sum(n) OVER w - n AS lo, sum(n) OVER w AS hi
    FROM country_clicks
  WINDOW w AS (PARTITION BY profile_id, window_start ORDER BY country COLLATE "C" ROWS UNBOUNDED PRECEDING)
  UNION ALL
  -- Clicks without a country row (not expected: both were counted in one statement).
  SELECT lw.profile_id, lw.window_start, '(unknown)', coalesce(cw.s, 0), lw.s
    FROM (SELECT profile_id, window_start, sum(n) AS s FROM link_clicks GROUP BY 1, 2) lw
    LEFT JOIN (SELECT profile_id, window_start, sum(n) AS s FROM country_clicks GROUP BY 1, 2) cw
      USING (profile_id, window_start)
   WHERE lw.s > coalesce(cw.s, 0)
)
SELECT l.profile_id, l.window_start AS bucket, l.link_id, c.country,
       0::bigint AS views, (least(l.hi, c.hi) - greatest(l.lo, c.lo))::bigint AS clicks
  FROM l JOIN c USING (profile_id, window_start)
 WHERE least(l.hi, c.hi) > greatest(l.lo, c.lo)
UNION ALL
SELECT profile_id, window_start, '', '(unknown)', n, 0 FROM profile_views;

CREATE TEMP TABLE legacy_sig ON COMMIT DROP AS
WITH f AS (
  SELECT profile_id, bucket, link_id, country,
         sum(clicks) OVER w - clicks AS lo, sum(clicks) OVER w AS hi
    FROM legacy_facts WHERE clicks > 0
  WINDOW w AS (PARTITION BY profile_id, bucket ORDER BY link_id COLLATE "C", country COLLATE "C" ROWS UNBOUNDED PRECEDING)
), r AS (
  SELECT profile_id, window_start AS bucket, referrer,
         sum(n) OVER w - n AS lo, sum(n) OVER w AS hi
    FROM referrer_clicks
  WINDOW w AS (PARTITION BY profile_id, window_start ORDER BY referrer COLLATE "C" ROWS UNBOUNDED PRECEDING)
  UNION ALL
  SELECT fw.profile_id, fw.bucket, '(direct)', coalesce(rw.s, 0), fw.s
    FROM (SELECT profile_id, bucket, sum(clicks) AS s FROM legacy_facts GROUP BY 1, 2) fw
    LEFT JOIN (SELECT profile_id, window_start AS bucket, sum(n) AS s FROM referrer_clicks GROUP BY 1, 2) rw
      USING (profile_id, bucket)
   WHERE fw.s > coalesce(rw.s, 0)
)
SELECT f.profile_id, f.bucket, f.link_id, f.country, r.referrer,
       0::bigint AS views, (least(f.hi, r.hi) - greatest(f.lo, r.lo))::bigint AS clicks
  FROM f JOIN r USING (profile_id, bucket)
 WHERE least(f.hi, r.hi) > greatest(f.lo, r.lo)
UNION ALL
SELECT profile_id, bucket, '', country, '', views, 0 FROM legacy_facts WHERE views > 0;

SELECT analytics_ensure_partitions(
  greatest(coalesce((SELECT min(bucket) FROM legacy_facts), now()) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' - interval '31 days')::date,
  (now() AT TIME ZONE 'UTC' + interval '7 days')::date);

INSERT INTO analytics_facts_10s (profile_id, bucket, link_id, country, device, views, clicks)
SELECT profile_id, bucket, link_id, country, 'other', sum(views), sum(clicks) FROM legacy_facts GROUP BY 1, 2, 3, 4;
INSERT INTO analytics_facts_1h (profile_id, bucket, link_id, country, device, views, clicks)
SELECT profile_id, date_bin('1 hour', bucket, TIMESTAMPTZ 'epoch'), link_id, country, 'other', sum(views), sum(clicks)
  FROM legacy_facts GROUP BY 1, 2, 3, 4;
INSERT INTO analytics_facts_1d (profile_id, bucket, link_id, country, device, views, clicks)
SELECT profile_id, date_bin('1 day', bucket, TIMESTAMPTZ 'epoch'), link_id, country, 'other', sum(views), sum(clicks)
  FROM legacy_facts GROUP BY 1, 2, 3, 4;

INSERT INTO analytics_sig_10s (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                              utm_source, utm_medium, utm_campaign, covered, views, clicks)
SELECT profile_id, bucket, link_id, country, 'other', referrer, '', '', 'Other', 'Other', '', '', '', false, sum(views), sum(clicks)
  FROM legacy_sig GROUP BY 1, 2, 3, 4, 6;
INSERT INTO analytics_sig_1h (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                              utm_source, utm_medium, utm_campaign, covered, views, clicks)
SELECT profile_id, date_bin('1 hour', bucket, TIMESTAMPTZ 'epoch'), link_id, country, 'other', referrer, '', '', 'Other', 'Other', '', '', '', false, sum(views), sum(clicks)
  FROM legacy_sig GROUP BY 1, 2, 3, 4, 6;
INSERT INTO analytics_sig_1d (profile_id, bucket, link_id, country, device, referrer, region, city, browser, os,
                              utm_source, utm_medium, utm_campaign, covered, views, clicks)
SELECT profile_id, date_bin('1 day', bucket, TIMESTAMPTZ 'epoch'), link_id, country, 'other', referrer, '', '', 'Other', 'Other', '', '', '', false, sum(views), sum(clicks)
  FROM legacy_sig GROUP BY 1, 2, 3, 4, 6;

DROP TABLE link_clicks, profile_views, referrer_clicks, country_clicks;
