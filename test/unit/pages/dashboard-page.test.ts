// The dashboard shell: the key form, the filters, the breakdown tables and the CSV button the
// script fills and drives; and the pure helpers of web/chart-data.ts it computes with.
import { describe, expect, it } from 'vitest';
import { renderDashboardPage } from '../../../lambdas/pages/dashboard-page.ts';
import { ctr, delta, previousRange, rangeParams, toChartData } from '../../../web/chart-data.ts';
import { makeProfile } from '../../helpers/fakes.ts';

const profile = makeProfile('demo', {
  links: [
    { id: 'lnk_shop', title: 'Print <shop>', url: 'https://example.com/shop', position: 0, enabled: true },
    { id: 'lnk_draft', title: 'Draft', url: 'https://example.com/draft', position: 1, enabled: false },
  ],
});

describe('renderDashboardPage', () => {
  const page = renderDashboardPage(profile).value;

  it('asks for a key (scoped analytics:read or the admin token), not "the admin token"', () => {
    expect(page).toContain('<label class="token-label" for="token">Key</label>');
    expect(page).toContain('analytics:read');
    expect(page).not.toMatch(/>Admin token</);
    expect(page).toContain('Forget key');
  });

  it('offers link, country and device filters; the link picker lists enabled links only, escaped', () => {
    expect(page).toContain('id="filter-link"');
    expect(page).toContain('<option value="lnk_shop">Print &lt;shop&gt;</option>');
    expect(page).not.toContain('lnk_draft');
    expect(page).toContain('id="filter-country"');
    for (const d of ['mobile', 'tablet', 'desktop', 'other']) expect(page).toContain(`<option value="${d}">${d}</option>`);
  });

  it('has the totals with deltas, the breakdowns and the CSV button', () => {
    for (const id of ['views', 'visitors', 'clicks', 'ctr']) {
      expect(page).toContain(`id="total-${id}"`);
      expect(page).toContain(`id="delta-${id}"`);
    }
    for (const id of ['top-links', 'referrers', 'countries', 'regions', 'cities', 'devices', 'browsers', 'os']) {
      expect(page).toContain(`<table id="${id}">`);
    }
    for (const id of ['utm-source', 'utm-medium', 'utm-campaign']) expect(page).toContain(`<table id="${id}">`);
    expect(page).toMatch(/<th scope="col" class="num">Unique clicks<\/th><th scope="col" class="num">CTR<\/th>/);
    expect(page).toContain('id="csv"');
  });
});

describe('dashboard helpers', () => {
  it('previousRange is the period of equal length just before', () => {
    expect(previousRange(1_000, 1_600)).toEqual({ fromS: 400, toS: 1_000 });
  });

  it('rangeParams carries the filters that are set, and format=csv on request', () => {
    const p = rangeParams(0, 3_600, '1m', { linkId: 'lnk_shop', country: '', device: 'mobile' }, 'csv');
    expect(Object.fromEntries(p)).toEqual({
      from: '1970-01-01T00:00:00.000Z',
      to: '1970-01-01T01:00:00.000Z',
      interval: '1m',
      linkId: 'lnk_shop',
      device: 'mobile',
      format: 'csv',
    });
  });

  it.each([
    [150, 100, '+50%', 'up'],
    [50, 100, '-50%', 'down'],
    [100, 100, '±0%', 'same'],
    [3, 0, 'new', 'up'],
    [0, 0, '±0%', 'same'],
    [1, 3, '-66.7%', 'down'],
  ])('delta(%d, %d) = %s', (current, previous, text, kind) => {
    expect(delta(current, previous)).toEqual({ text, kind });
  });

  it('delta without a previous period says nothing', () => {
    expect(delta(5, undefined)).toEqual({ text: '', kind: 'none' });
  });

  it('ctr is clicks per view in percent', () => {
    expect(ctr(1, 4)).toBe('25.0%');
    expect(ctr(3, 0)).toBe('–');
  });

  it('toChartData carries visitors as the fourth series', () => {
    const from = 0;
    const [, , , visitors] = toChartData(
      { series: [{ t: '1970-01-01T00:01:00Z', views: 2, clicks: 1, visitors: 2 }] },
      from,
      120,
      60,
    );
    expect(visitors).toEqual([0, 2, 0]);
  });
});
