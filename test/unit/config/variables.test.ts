import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { variableDocs } from '../../../lambdas/config/variable-docs.ts';
import { ConfigError, formatEnv, parseConfig, variables } from '../../../lambdas/config/variables.ts';
import { README_PATH, withConfigTables } from '../../../tools/config-docs.ts';

describe('parseConfig', () => {
  it('gives every variable its default when the environment is empty', () => {
    const c = parseConfig({});
    expect(c.PROFILE_TTL_S).toBe(300);
    expect(c.L1_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(c.REDIS_CLUSTER).toBe(false);
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.PGSSLMODE).toBe('require');
    expect(Object.keys(c).sort()).toEqual(Object.keys(variables).sort());
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig({ PROFILE_TTL_S: '', REDIS_URL: '' })).toMatchObject({ PROFILE_TTL_S: 300, REDIS_URL: undefined });
  });

  it('parses typed values: integers, numbers, booleans, URLs without trailing slashes, enums', () => {
    const c = parseConfig({
      PROFILE_TTL_S: ' 60 ',
      PRUNE_PROBABILITY: '0.5',
      REDIS_CLUSTER: 'TRUE',
      REDIS_READ_REPLICAS: '0',
      ORIGIN_URL: 'https://origin.example.com/api//',
      PGSSLMODE: 'disable',
    });
    expect(c).toMatchObject({
      PROFILE_TTL_S: 60,
      PRUNE_PROBABILITY: 0.5,
      REDIS_CLUSTER: true,
      REDIS_READ_REPLICAS: false,
      ORIGIN_URL: 'https://origin.example.com/api',
      PGSSLMODE: 'disable',
    });
  });

  it.each([
    ['PROFILE_TTL_S', 'abc', 'PROFILE_TTL_S must be an integer from 0 to 604800 s; got "abc"'],
    ['PROFILE_TTL_S', '-1', 'PROFILE_TTL_S must be an integer from 0 to 604800 s; got "-1"'],
    ['ORIGIN_MAX_ATTEMPTS', '2.5', 'ORIGIN_MAX_ATTEMPTS must be an integer from 1 to 10; got "2.5"'],
    ['PRUNE_PROBABILITY', '2', 'PRUNE_PROBABILITY must be a number from 0 to 1; got "2"'],
    ['REDIS_CLUSTER', 'maybe', 'REDIS_CLUSTER must be true or false (also 1/0, yes/no, on/off); got "maybe"'],
    ['REDIS_URL', 'http://cache:6379', 'REDIS_URL must be a URL (redis:// or rediss://); got "http://cache:6379"'],
    ['PGSSLMODE', 'prefer', 'PGSSLMODE must be one of disable, require, verify-full; got "prefer"'],
  ])('refuses %s=%s, naming the variable and what it accepts', (name, raw, message) => {
    expect(() => parseConfig({ [name]: raw })).toThrow(message);
  });

  it('reports every bad variable at once, and never echoes a secret', () => {
    let err: unknown;
    try {
      parseConfig({ L1_TTL_S: 'x', WEBHOOK_SECRET: 'not-a-whsec-secret', NEGATIVE_TTL_S: '1e9' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['L1_TTL_S', 'NEGATIVE_TTL_S', 'WEBHOOK_SECRET']);
    expect((err as Error).message).not.toContain('not-a-whsec-secret');
    expect((err as Error).message).toContain('WEBHOOK_SECRET must be whsec_<base64>; got (a 18-character value)');
  });

  it('every variable has a description, and its default passes its own schema', () => {
    expect(Object.keys(variableDocs).sort()).toEqual(Object.keys(variables).sort());
    for (const [name, v] of Object.entries(variables)) {
      expect(variableDocs[name as keyof typeof variableDocs].description, name).toMatch(/\S/);
      if (v.default !== undefined) expect(() => parseConfig({ [name]: String(v.default) }), name).not.toThrow();
    }
  });
});

describe('formatEnv (what CDK writes into a function)', () => {
  it('writes typed values as the strings the parser reads back', () => {
    const env = formatEnv({ PROFILE_TTL_S: 60, REDIS_CLUSTER: true, ORIGIN_URL: 'https://o.example' });
    expect(env).toEqual({ PROFILE_TTL_S: '60', REDIS_CLUSTER: 'true', ORIGIN_URL: 'https://o.example' });
    expect(parseConfig(env)).toMatchObject({ PROFILE_TTL_S: 60, REDIS_CLUSTER: true });
  });

  it('fails on an out-of-bounds value and on an unknown name, but passes deploy-time tokens through', () => {
    expect(() => formatEnv({ L1_TTL_S: 99_999 })).toThrow('L1_TTL_S must be an integer from 0 to 3600 s; got "99999"');
    expect(() => formatEnv({ NOT_A_VARIABLE: '1' } as never)).toThrow('NOT_A_VARIABLE is not a configuration variable');
    // A deploy-time token as CDK renders it into a string.
    const token = ['$', '{Token[TOKEN.123]}'].join('');
    expect(formatEnv({ REDIS_URL: token }, (v) => v === token)).toEqual({ REDIS_URL: token });
  });
});

describe('the README configuration tables', () => {
  it('are exactly what the schema generates (run `npm run docs:config` after changing lambdas/config/variables.ts)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(withConfigTables(readme)).toBe(readme);
  });

  it('list every variable', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    for (const name of Object.keys(variables)) expect(readme, name).toContain(`| \`${name}\` |`);
  });
});
