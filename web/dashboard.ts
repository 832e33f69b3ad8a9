// The owner's dashboard (bundled with uPlot into /assets/dashboard.<hash>.js by
// tools/build-page-assets.ts). The key (the admin token or a scoped `analytics:read` key) is asked
// for in a form, kept in sessionStorage (this tab only) and sent only as `Authorization: Bearer`;
// it never goes into a URL, not even for the CSV download (fetched, then saved from a Blob).
import uPlot from 'uplot';
import {
  type Analytics,
  analyticsQuery,
  ctr,
  type DashboardFilters,
  delta,
  INTERVALS,
  intervalAllowed,
  previousRange,
  rangeParams,
  toChartData,
} from './chart-data.ts';

interface PageData {
  username: string;
  links: { id: string; title: string }[];
}

/** The interval picked when the range changes. */
const PREFERRED: Record<string, string> = { '1h': '1m', '24h': '1h', '7d': '1h', '30d': '1d' };
// The storage key predates scoped keys; kept so an open tab stays signed in across a deploy.
const TOKEN_KEY = 'linkcache:admin-token';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const data = JSON.parse($('profile-data').textContent ?? '{}') as PageData;
const titles = new Map(data.links.map((l) => [l.id, l.title]));

const auth = $<HTMLElement>('auth');
const authError = $<HTMLElement>('auth-error');
const tokenForm = $<HTMLFormElement>('token-form');
const tokenInput = $<HTMLInputElement>('token');
const dash = $<HTMLElement>('dash');
const rangeSel = $<HTMLSelectElement>('range');
const intervalSel = $<HTMLSelectElement>('interval');
const linkSel = $<HTMLSelectElement>('filter-link');
const countrySel = $<HTMLSelectElement>('filter-country');
const deviceSel = $<HTMLSelectElement>('filter-device');
const refreshBtn = $<HTMLButtonElement>('refresh');
const csvBtn = $<HTMLButtonElement>('csv');
const signoutBtn = $<HTMLButtonElement>('signout');
const status = $<HTMLElement>('status');
const chartEl = $<HTMLElement>('chart');

let memoryToken: string | undefined;
const store = {
  get(): string | undefined {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? memoryToken;
    } catch {
      return memoryToken;
    }
  },
  set(token: string): void {
    memoryToken = token;
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // storage disabled: memory only
    }
  },
  clear(): void {
    memoryToken = undefined;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // nothing stored
    }
  },
};

const showAuth = (message?: string): void => {
  dash.hidden = true;
  auth.hidden = false;
  authError.textContent = message ?? '';
  authError.hidden = !message;
  tokenInput.value = '';
  tokenInput.focus();
};

const setStatus = (text: string, kind: 'info' | 'error' = 'info'): void => {
  status.textContent = text;
  status.dataset.kind = kind;
};

const fmt = new Intl.NumberFormat();
const countryNames = (() => {
  try {
    return new Intl.DisplayNames(undefined, { type: 'region' });
  } catch {
    return undefined;
  }
})();
const countryName = (code: string): string => {
  if (!/^[A-Za-z]{2}$/.test(code)) return code || 'Unknown';
  try {
    return `${countryNames?.of(code.toUpperCase()) ?? code} (${code.toUpperCase()})`;
  } catch {
    return code;
  }
};

type Cell = number | string;

/** Fills a table body with text cells: no markup from the API ever reaches innerHTML. */
const fillTable = (id: string, rows: [string, ...Cell[]][], empty: string): void => {
  const table = $<HTMLTableElement>(id);
  const columns = table.tHead?.rows[0]?.cells.length ?? 2;
  const trs = rows.map(([label, ...cells]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    tr.append(th);
    for (const c of cells) {
      const td = document.createElement('td');
      td.className = 'num';
      td.textContent = typeof c === 'number' ? fmt.format(c) : c;
      tr.append(td);
    }
    return tr;
  });
  if (trs.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = columns;
    td.className = 'empty';
    td.textContent = empty;
    tr.append(td);
    trs.push(tr);
  }
  table.tBodies[0].replaceChildren(...trs);
};

let plot: uPlot | undefined;
const drawChart = (d: uPlot.AlignedData): void => {
  const width = Math.max(280, chartEl.clientWidth);
  if (!plot) {
    plot = new uPlot(
      {
        width,
        height: 260,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
        axes: [
          { stroke: '#334155', grid: { stroke: '#e2e8f0' } },
          { stroke: '#334155', grid: { stroke: '#e2e8f0' } },
        ],
        series: [
          {},
          { label: 'Views', stroke: '#1d4ed8', fill: 'rgba(29, 78, 216, 0.12)', width: 2 },
          { label: 'Clicks', stroke: '#c2410c', fill: 'rgba(194, 65, 12, 0.10)', width: 2 },
          { label: 'Visitors', stroke: '#15803d', width: 2, dash: [6, 4] },
        ],
      },
      d,
      chartEl,
    );
  } else {
    plot.setData(d);
  }
};
new ResizeObserver(() => plot?.setSize({ width: Math.max(280, chartEl.clientWidth), height: 260 })).observe(chartEl);

/** Disables intervals that give too many (or less than one) buckets for the range. */
const syncIntervals = (pickPreferred: boolean): void => {
  for (const opt of intervalSel.options) opt.disabled = !intervalAllowed(rangeSel.value, opt.value);
  if (pickPreferred || intervalSel.selectedOptions[0]?.disabled) intervalSel.value = PREFERRED[rangeSel.value];
};

const filters = (): DashboardFilters => ({
  ...(linkSel.value ? { linkId: linkSel.value } : {}),
  ...(countrySel.value ? { country: countrySel.value } : {}),
  ...(deviceSel.value ? { device: deviceSel.value } : {}),
});

/** Adds the countries an answer mentions to the country picker (the selection stays). */
const learnCountries = (a: Analytics): void => {
  const known = new Set([...countrySel.options].map((o) => o.value));
  for (const { country } of a.countries) {
    if (known.has(country)) continue;
    known.add(country);
    countrySel.append(new Option(countryName(country), country));
  }
};

const analyticsUrl = (params: URLSearchParams): string =>
  `/api/profiles/${encodeURIComponent(data.username)}/analytics?${params}`;

class Refused extends Error {}

/** One authorized call of the analytics route; throws Refused on 401/403, Error with the reason otherwise. */
const call = async (params: URLSearchParams, token: string, accept: string, signal?: AbortSignal): Promise<Response> => {
  const res = await fetch(analyticsUrl(params), {
    headers: { authorization: `Bearer ${token}`, accept },
    cache: 'no-store',
    ...(signal ? { signal } : {}),
  });
  if (res.status === 401 || res.status === 403) throw new Refused();
  if (!res.ok) {
    let message = `The analytics service answered ${res.status}.`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = `${message} ${body.error.message}`;
    } catch {
      // not JSON
    }
    throw new Error(message);
  }
  return res;
};

const refused = (): void => {
  store.clear();
  showAuth('That key was not accepted. Enter a key with analytics:read for this profile (or the admin token).');
};

const showDelta = (id: string, current: number, previous: number | undefined): void => {
  const el = $(`delta-${id}`);
  const d = delta(current, previous);
  el.textContent = d.text ? `${d.text} vs previous` : '';
  el.dataset.kind = d.kind;
};

const render = (a: Analytics, prev: Analytics | undefined, fromS: number, toS: number, step: number): void => {
  const { views, clicks, visitors } = a.totals;
  $('total-views').textContent = fmt.format(views);
  $('total-visitors').textContent = fmt.format(visitors);
  $('total-clicks').textContent = fmt.format(clicks);
  $('total-ctr').textContent = ctr(clicks, views);
  showDelta('views', views, prev?.totals.views);
  showDelta('visitors', visitors, prev?.totals.visitors);
  showDelta('clicks', clicks, prev?.totals.clicks);
  // Click-through compares as a rate: points of difference would read as percent of percent.
  const rate = (t: Analytics['totals']) => (t.views > 0 ? (100 * t.clicks) / t.views : 0);
  showDelta('ctr', rate(a.totals), prev ? rate(prev.totals) : undefined);

  fillTable(
    'top-links',
    a.links.map((l) => [titles.get(l.linkId) ?? l.linkId, l.clicks, l.uniqueClicks, ctr(l.clicks, views)]),
    'No clicks in this range.',
  );
  fillTable(
    'referrers',
    a.referrers.map((r) => [r.referrer || 'Direct / unknown', r.clicks]),
    'No referrers in this range.',
  );
  fillTable(
    'countries',
    a.countries.map((c) => [countryName(c.country), c.clicks]),
    'No countries in this range.',
  );
  fillTable(
    'regions',
    a.regions.map((r) => [`${r.region}, ${countryName(r.country)}`, r.clicks]),
    'No regions in this range.',
  );
  fillTable(
    'cities',
    a.cities.map((c) => [`${c.city}, ${countryName(c.country)}`, c.clicks]),
    'No cities in this range.',
  );
  fillTable(
    'devices',
    a.devices.map((d) => [d.device, d.views, d.clicks]),
    'No devices in this range.',
  );
  fillTable(
    'browsers',
    a.browsers.map((b) => [b.browser, b.views, b.clicks]),
    'No browsers in this range.',
  );
  fillTable(
    'os',
    a.os.map((o) => [o.os, o.views, o.clicks]),
    'No operating systems in this range.',
  );
  for (const field of ['source', 'medium', 'campaign'] as const) {
    fillTable(
      `utm-${field}`,
      a.utm[field].map((u) => [u.value, u.views, u.clicks]),
      `No utm_${field} in this range.`,
    );
  }
  learnCountries(a);
  drawChart(toChartData(a, fromS, toS, step));
  chartEl.setAttribute(
    'aria-label',
    `Chart of views, clicks and visitors per ${intervalSel.value} over the last ${rangeSel.value}: ${views} views, ${clicks} clicks, ${visitors} visitors.`,
  );
};

let inflight: AbortController | undefined;
const load = async (): Promise<void> => {
  const token = store.get();
  if (!token) {
    showAuth();
    return;
  }
  auth.hidden = true;
  dash.hidden = false;
  inflight?.abort();
  const ctl = new AbortController();
  inflight = ctl;
  const interval = intervalSel.value;
  const step = INTERVALS[interval];
  const { fromS, toS } = analyticsQuery(rangeSel.value, interval, Date.now());
  const f = filters();
  const before = previousRange(fromS, toS);
  dash.setAttribute('aria-busy', 'true');
  refreshBtn.disabled = true;
  setStatus('Loading…');
  try {
    const [current, previous] = await Promise.allSettled([
      call(rangeParams(fromS, toS, interval, f), token, 'application/json', ctl.signal).then(
        (r) => r.json() as Promise<Analytics>,
      ),
      // The previous period may be past what is kept at this interval (400): then no deltas.
      call(rangeParams(before.fromS, before.toS, interval, f), token, 'application/json', ctl.signal).then(
        (r) => r.json() as Promise<Analytics>,
      ),
    ]);
    if (current.status === 'rejected') throw current.reason;
    render(current.value, previous.status === 'fulfilled' ? previous.value : undefined, fromS, toS, step);
    setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    if (err instanceof Refused) {
      refused();
      return;
    }
    if (err instanceof TypeError) {
      setStatus('Could not reach the analytics service. Check your connection and try Refresh.', 'error');
      return;
    }
    setStatus(`${(err as Error).message} Try Refresh.`, 'error');
  } finally {
    if (inflight === ctl) {
      dash.removeAttribute('aria-busy');
      refreshBtn.disabled = false;
    }
  }
};

/** The series as CSV, fetched with the key in the header and saved from a Blob (no URL carries it). */
const downloadCsv = async (): Promise<void> => {
  const token = store.get();
  if (!token) {
    showAuth();
    return;
  }
  const interval = intervalSel.value;
  const { fromS, toS } = analyticsQuery(rangeSel.value, interval, Date.now());
  csvBtn.disabled = true;
  try {
    const res = await call(rangeParams(fromS, toS, interval, filters(), 'csv'), token, 'text/csv');
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `analytics-${data.username}.csv`;
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Downloaded ${name}.`);
  } catch (err) {
    if (err instanceof Refused) refused();
    else setStatus(`The CSV could not be downloaded. ${(err as Error).message}`, 'error');
  } finally {
    csvBtn.disabled = false;
  }
};

tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  store.set(token);
  tokenInput.value = '';
  void load();
});
rangeSel.addEventListener('change', () => {
  syncIntervals(true);
  void load();
});
for (const sel of [intervalSel, linkSel, countrySel, deviceSel]) sel.addEventListener('change', () => void load());
refreshBtn.addEventListener('click', () => void load());
csvBtn.addEventListener('click', () => void downloadCsv());
signoutBtn.addEventListener('click', () => {
  store.clear();
  plot?.destroy();
  plot = undefined;
  showAuth();
});

syncIntervals(false);
if (store.get()) void load();
else showAuth();
