// The owner's dashboard (bundled with uPlot into /assets/dashboard.<hash>.js by
// tools/build-page-assets.ts). The admin token is asked for in a form, kept in sessionStorage
// (this tab only) and sent only as `Authorization: Bearer`; it never goes into a URL.
import uPlot from 'uplot';
import { type Analytics, analyticsQuery, INTERVALS, intervalAllowed, toChartData } from './chart-data.ts';

interface PageData {
  username: string;
  links: { id: string; title: string }[];
}

/** The interval picked when the range changes. */
const PREFERRED: Record<string, string> = { '1h': '1m', '24h': '1h', '7d': '1h', '30d': '1d' };
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
const refreshBtn = $<HTMLButtonElement>('refresh');
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

/** Fills a table body with text cells: no markup from the API ever reaches innerHTML. */
const fillTable = (id: string, rows: [string, number][], empty: string): void => {
  const tbody = $<HTMLTableElement>(id).tBodies[0];
  const trs = rows.map(([label, n]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    const td = document.createElement('td');
    td.className = 'num';
    td.textContent = fmt.format(n);
    tr.append(th, td);
    return tr;
  });
  if (trs.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 2;
    td.className = 'empty';
    td.textContent = empty;
    tr.append(td);
    trs.push(tr);
  }
  tbody.replaceChildren(...trs);
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
  const step = INTERVALS[intervalSel.value];
  const { fromS, toS, params: qs } = analyticsQuery(rangeSel.value, intervalSel.value, Date.now());
  dash.setAttribute('aria-busy', 'true');
  refreshBtn.disabled = true;
  setStatus('Loading…');
  try {
    const res = await fetch(`/api/profiles/${encodeURIComponent(data.username)}/analytics?${qs}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      cache: 'no-store',
      signal: ctl.signal,
    });
    if (res.status === 401 || res.status === 403) {
      store.clear();
      showAuth('That token was not accepted. Enter the admin token again.');
      return;
    }
    if (!res.ok) {
      let message = `The analytics service answered ${res.status}.`;
      try {
        const body = (await res.json()) as { error?: { message?: string } };
        if (body.error?.message) message = `${message} ${body.error.message}`;
      } catch {
        // not JSON
      }
      setStatus(`${message} Try Refresh.`, 'error');
      return;
    }
    const a = (await res.json()) as Analytics;
    $('total-views').textContent = fmt.format(a.totals.views);
    $('total-clicks').textContent = fmt.format(a.totals.clicks);
    $('total-ctr').textContent = a.totals.views > 0 ? `${((100 * a.totals.clicks) / a.totals.views).toFixed(1)}%` : '–';
    fillTable(
      'top-links',
      a.links.map((l) => [titles.get(l.linkId) ?? l.linkId, l.clicks]),
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
    drawChart(toChartData(a, fromS, toS, step));
    chartEl.setAttribute(
      'aria-label',
      `Chart of views and clicks per ${intervalSel.value} over the last ${rangeSel.value}: ${a.totals.views} views, ${a.totals.clicks} clicks.`,
    );
    setStatus(`Updated ${new Date().toLocaleTimeString()}.`);
  } catch (err) {
    if ((err as Error).name === 'AbortError') return;
    setStatus('Could not reach the analytics service. Check your connection and try Refresh.', 'error');
  } finally {
    if (inflight === ctl) {
      dash.removeAttribute('aria-busy');
      refreshBtn.disabled = false;
    }
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
intervalSel.addEventListener('change', () => void load());
refreshBtn.addEventListener('click', () => void load());
signoutBtn.addEventListener('click', () => {
  store.clear();
  plot?.destroy();
  plot = undefined;
  showAuth();
});

syncIntervals(false);
if (store.get()) void load();
else showAuth();
