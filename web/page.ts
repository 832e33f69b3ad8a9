// The page's only script (served from /assets, loaded with `defer`): one view beacon per page
// view, and a fallback to initials when the avatar image fails to load. Nothing here is needed
// to read or use the page.

const username = document.documentElement.dataset.username;
if (username) {
  const event: Record<string, unknown> = { type: 'profile.viewed', username };
  if (document.referrer) event.referrer = document.referrer.slice(0, 512);
  // The page URL's utm_* (a campaign link to the page): values the events route would refuse
  // (control characters, over 200 characters) are left out rather than losing the view.
  const query = new URLSearchParams(location.search);
  const utm: Record<string, string> = {};
  const acceptable = (value: string): boolean => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the server refuses
    if (value.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(value)) return false;
    try {
      encodeURIComponent(value); // throws on an unpaired surrogate
      return true;
    } catch {
      return false;
    }
  };
  for (const field of ['source', 'medium', 'campaign', 'term', 'content']) {
    const value = query.get(`utm_${field}`);
    if (value && acceptable(value)) utm[field] = value;
  }
  if (Object.keys(utm).length) event.utm = utm;
  const body = JSON.stringify({ events: [event] });
  // A string goes as text/plain (CORS-safelisted, never preflighted); the events route parses
  // the body as JSON whatever its content type (lambdas/track/handler.ts).
  const sent = typeof navigator.sendBeacon === 'function' && navigator.sendBeacon('/api/events', body);
  if (!sent) {
    fetch('/api/events', { method: 'POST', body, headers: { 'content-type': 'application/json' }, keepalive: true }).catch(
      () => {},
    );
  }
}

for (const img of document.querySelectorAll<HTMLImageElement>('.avatar img')) {
  const broken = () => img.classList.add('broken');
  if (img.complete && img.naturalWidth === 0) broken();
  else img.addEventListener('error', broken, { once: true });
}
