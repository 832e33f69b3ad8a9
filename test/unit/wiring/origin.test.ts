import { describe, expect, it } from 'vitest';
import { HttpProfileOrigin } from '../../../lambdas/adapters/http-origin.ts';
import { LinktreePageOrigin } from '../../../lambdas/adapters/linktree-page-origin.ts';
import { readPathSettings } from '../../../lambdas/config/config.ts';
import { parseConfig } from '../../../lambdas/config/variables.ts';
import { noTelemetry } from '../../../lambdas/core/ports.ts';
import { makeOrigin, originKind } from '../../../lambdas/wiring/origin.ts';

const build = (env: Record<string, string>) => {
  const config = parseConfig(env);
  return makeOrigin({
    config,
    origin: readPathSettings(config).origin,
    limiter: { take: async () => ({ allowed: true, retryAfterMs: 0 }) },
    telemetry: noTelemetry,
    apiKey: async () => 'k',
  });
};

describe('makeOrigin', () => {
  it('unset ORIGIN is the HTTP origin', () => {
    expect(originKind(parseConfig({}))).toBe('http');
    expect(build({})).toBeInstanceOf(HttpProfileOrigin);
  });

  it('http and demo speak the HTTP origin API', () => {
    expect(build({ ORIGIN: 'http', ORIGIN_URL: 'https://origin.example' })).toBeInstanceOf(HttpProfileOrigin);
    expect(build({ ORIGIN: 'demo' })).toBeInstanceOf(HttpProfileOrigin);
  });

  it('linktree reads public pages, and refuses writes without a request', async () => {
    const origin = build({ ORIGIN: 'linktree', LINKTREE_BASE_URL: 'http://127.0.0.1:9' });
    expect(origin).toBeInstanceOf(LinktreePageOrigin);
    await expect(origin.updateLinks('p', [])).rejects.toMatchObject({ status: 501, code: 'NOT_SUPPORTED' });
    expect(origin.health()).toEqual({ status: 'up', detail: 'not called yet' });
  });
});
