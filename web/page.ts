// The page's only script (served from /assets, loaded with `defer`): one view beacon per page
// view, and a fallback to initials when the avatar image fails to load. Nothing here is needed
// to read or use the page.

const username = document.documentElement.dataset.username;
if (username) {
  const event: Record<string, string> = { type: 'profile.viewed', username };
  if (document.referrer) event.referrer = document.referrer.slice(0, 512);
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
