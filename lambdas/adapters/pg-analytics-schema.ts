// What the analytics store's writer and its reports share about the tables (migration 005).
import { DIM } from '../core/analytics.ts';

/** The tables of the hourly and daily tiers. */
export const TIER_TABLES = {
  '1h': { sig: 'analytics_hsig', dims: 'analytics_hdims' },
  '1d': { sig: 'analytics_dsig', dims: 'analytics_ddims' },
} as const;

/** The daily dims rows summed per UTC month (bucket = the month's start), kept for good. */
export const MONTH_DIMS = 'analytics_mdims';

/**
 * The breakdown values of a signature row `s` as (dim, country, value) rows: the totals (dim 0),
 * the breakdowns (region and city keep their country), the link (clicks only), country and device.
 * The report reads signatures through the same unpivot, so a dims row is exactly this, summed.
 */
export const UNPIVOT = (s: string) => `CROSS JOIN LATERAL (VALUES
    (${DIM.total}::int2, '', ''), (${DIM.referrer}::int2, '', ${s}.referrer),
    (${DIM.region}::int2, ${s}.country, ${s}.region), (${DIM.city}::int2, ${s}.country, ${s}.city),
    (${DIM.browser}::int2, '', ${s}.browser), (${DIM.os}::int2, '', ${s}.os),
    (${DIM.utmSource}::int2, '', ${s}.utm_source), (${DIM.utmMedium}::int2, '', ${s}.utm_medium),
    (${DIM.utmCampaign}::int2, '', ${s}.utm_campaign), (${DIM.link}::int2, '', ${s}.link_id),
    (${DIM.country}::int2, '', ${s}.country), (${DIM.device}::int2, '', ${s}.device)) AS x (dim, country, value)`;
export const UNPIVOT_KEEP = `(x.dim = ${DIM.total} OR x.value <> '')`;
