// The `origin` stage value: which origin adapter the functions use, and the Linktree settings it
// sets on them (public pages need no secret).
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolveStage } from '../../lib/stage-config.ts';
import { cdkContext, synth } from './fixture.ts';
import { fnByName } from './helpers.ts';

const resolve = (ctx: Record<string, unknown>) => resolveStage(new App({ context: { ...cdkContext(), ...ctx } }).node);

describe('stage origin', () => {
  it('is http unless told, and refuses what ORIGIN would not run in AWS', () => {
    expect(resolve({ stage: 'dev' }).origin).toBe('http');
    expect(resolve({ origin: 'linktree' }).origin).toBe('linktree');
    expect(() => resolve({ origin: 'demo' })).toThrow(/origin must be/);
    expect(() => resolve({ origin: 'scrape' })).toThrow(/origin must be/);
    expect(() => resolve({ origin: 'linktree', linktreeBaseUrl: 'ftp://linktr.ee' })).toThrow(/linktreeBaseUrl must be/);
    expect(() => resolve({ linktreeUserAgent: 'bad\u0007agent' })).toThrow(/linktreeUserAgent must be/);
  });

  // One synth (slow on a shared machine): the default stage's ORIGIN is covered by resolve() above.
  it('origin=linktree sets ORIGIN, LINKTREE_BASE_URL and LINKTREE_USER_AGENT on the read-path functions', () => {
    const s = synth({ origin: 'linktree', linktreeUserAgent: 'acme-links/1.0 (+https://acme.example; ops@acme.example)' });
    for (const name of ['profile', 'site']) {
      const [, fn] = fnByName(s.serviceTemplate, name);
      const env = fn.Properties.Environment.Variables;
      expect(env.ORIGIN).toBe('linktree');
      expect(env.LINKTREE_BASE_URL).toBe('https://linktr.ee');
      expect(env.LINKTREE_USER_AGENT).toBe('acme-links/1.0 (+https://acme.example; ops@acme.example)');
    }
    // The webhook function reads no origin.
    expect(fnByName(s.serviceTemplate, 'webhook')[1].Properties.Environment.Variables.ORIGIN).toBeUndefined();
  }, 120_000);
});
