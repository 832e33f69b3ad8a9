// The kernel's router: HEAD on every GET route answers as the GET does, unless the function
// routes HEAD itself (the redirect counts no HEAD).
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../lambdas/shared/errors.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { routedHandler, withHeadRoutes } from '../../../lambdas/shared/router.ts';
import { type ApiEventInput, apiEvent, lambdaContext } from '../../helpers/events.ts';

const call = (h: ReturnType<typeof routedHandler>, input: ApiEventInput) =>
  h(apiEvent(input), lambdaContext()) as Promise<HttpResult>;

describe('HEAD routes', () => {
  it('maps HEAD onto each GET without a HEAD of its own, and nothing else', () => {
    const get = async (): Promise<HttpResult> => ({ statusCode: 200, headers: {} });
    const head = async (): Promise<HttpResult> => ({ statusCode: 204, headers: {} });
    const out = withHeadRoutes({ 'GET /a': get, 'GET /r/{id}': get, 'HEAD /r/{id}': head, 'POST /b': get });
    expect(Object.keys(out).sort()).toEqual(['GET /a', 'GET /r/{id}', 'HEAD /a', 'HEAD /r/{id}', 'POST /b']);
    expect(out['HEAD /a']).toBe(get);
    expect(out['HEAD /r/{id}']).toBe(head);
  });

  it('answers HEAD with the GET status and headers, errors included', async () => {
    let n = 0;
    const h = routedHandler({
      'GET /api/profiles/{username}': async (e) => {
        n++;
        if (e.pathParameters?.username === 'ghost') throw new NotFoundError('No profile named "ghost".');
        return { statusCode: 200, headers: { etag: '"x"', 'content-type': 'application/json' }, body: '{"a":1}' };
      },
    });
    for (const username of ['demo', 'ghost']) {
      const input = { route: '/api/profiles/{username}', pathParameters: { username } };
      const get = await call(h, input);
      const head = await call(h, { ...input, method: 'HEAD' });
      expect({ username, status: head.statusCode, headers: head.headers }).toEqual({
        username,
        status: get.statusCode,
        headers: get.headers,
      });
    }
    expect(n).toBe(4);
  });

  it('leaves a HEAD the function routes itself to that handler', async () => {
    const h = routedHandler({
      'GET /r/{username}/{linkId}': async () => ({ statusCode: 302, headers: { location: 'https://a.example' } }),
      'HEAD /r/{username}/{linkId}': async () => ({ statusCode: 302, headers: { location: 'https://head.example' } }),
    });
    const r = await call(h, {
      method: 'HEAD',
      route: '/r/{username}/{linkId}',
      pathParameters: { username: 'demo', linkId: 'x' },
    });
    expect(r.headers.location).toBe('https://head.example');
  });
});
