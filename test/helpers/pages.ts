// A handler of the read path (profile or site) over the demo profiles with in-memory tiers, and
// the checks every HTML error page must pass: shared by the page-route tests of both functions.
import type { Context } from 'aws-lambda';
import { expect } from 'vitest';
import { MemoryProfileCache } from '../../lambdas/adapters/memory-profile-cache.ts';
import { ProfileService } from '../../lambdas/core/profile-service.ts';
import { demoProfiles } from '../../local/demo-profiles.ts';
import { readPathSettings } from '../../lambdas/config/config.ts';
import { parseConfig } from '../../lambdas/config/variables.ts';
import type { HttpEvent, HttpResult } from '../../lambdas/shared/http.ts';
import type { ReadPath } from '../../lambdas/wiring/read-path.ts';
import { apiEvent, lambdaContext } from './events.ts';
import { FakeClock, FakeOrigin, FakeSnapshotCache } from './fakes.ts';

type TestReadPath = Pick<ReadPath, 'service' | 'config' | 'l1'>;

export const demoHandler = (makeHandler: (deps: TestReadPath) => (event: HttpEvent, context: Context) => unknown) => {
  const config = readPathSettings(parseConfig({}));
  const origin = new FakeOrigin(...demoProfiles());
  const l1 = new MemoryProfileCache({ maxEntries: 10, maxBytes: 1 << 20, retainMs: 60_000 });
  const service = new ProfileService({ config: config.cache, l1, l2: new FakeSnapshotCache(), origin, clock: new FakeClock() });
  const handler = makeHandler({ service, config, l1 });
  const call = (input: Parameters<typeof apiEvent>[0], domainName?: string) => {
    const event = apiEvent(input);
    if (domainName) event.requestContext.domainName = domainName;
    return handler(event, lambdaContext()) as Promise<HttpResult>;
  };
  return { call, origin, config, service };
};

export const expectHtmlError = (r: HttpResult, status: number) => {
  expect(r.statusCode).toBe(status);
  expect(r.headers['content-type']).toMatch(/^text\/html/);
  expect(r.body).toMatch(/^<!doctype html>/);
  expect(r.body).toContain(`<p class="code">${status}</p>`);
  expect(r.headers['content-security-policy']).toContain("script-src 'self'");
};
