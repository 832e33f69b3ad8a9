// The corsOrigins stage value: checked at synth against what CORS_ORIGINS accepts.
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolveStage } from '../../lib/stage-config.ts';
import { cdkContext } from './fixture.ts';

const resolve = (ctx: Record<string, unknown>) => resolveStage(new App({ context: { ...cdkContext(), ...ctx } }).node);

describe('stage corsOrigins', () => {
  it('is "*" in both stages of cdk.json, and takes a list of origins', () => {
    expect(resolve({ stage: 'dev' }).corsOrigins).toBe('*');
    expect(resolve({ stage: 'prod' }).corsOrigins).toBe('*');
    expect(resolve({ corsOrigins: 'https://app.example.com,https://b.example.org' }).corsOrigins).toBe(
      'https://app.example.com,https://b.example.org',
    );
  });

  it('refuses what CORS_ORIGINS would refuse', () => {
    for (const bad of ['app.example.com', '*,https://a.example.com', 'https://a.example.com, ftp://b.example.com']) {
      expect(() => resolve({ corsOrigins: bad })).toThrow(/corsOrigins must be/);
    }
  });
});
