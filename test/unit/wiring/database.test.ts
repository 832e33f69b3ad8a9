import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/config/variables.ts';
import { poolConfig } from '../../../lambdas/wiring/database.ts';

const pool = (env: Record<string, string>, readSecret?: Parameters<typeof poolConfig>[1]) =>
  poolConfig(parseConfig(env), readSecret);

describe('poolConfig', () => {
  it('uses DATABASE_URL with a Lambda-sized pool', () => {
    const c = pool({ DATABASE_URL: 'postgresql://u@h:5432/db' });
    expect(c).toMatchObject({ connectionString: 'postgresql://u@h:5432/db', max: 2, idleTimeoutMillis: 60_000 });
  });
  it('in AWS: libpq variables, TLS verified, password from the secret (read lazily)', async () => {
    const asked: string[] = [];
    const c = pool({ PGHOST: 'proxy.example', PGPORT: '5432', PGDATABASE: 'linkcache', PGUSER: 'app' }, async (name, field) => {
      asked.push(`${name}#${field}`);
      return 'from-secret';
    });
    expect(c).toMatchObject({
      host: 'proxy.example',
      port: 5432,
      database: 'linkcache',
      user: 'app',
      ssl: { rejectUnauthorized: true },
    });
    expect(typeof c.password).toBe('function');
    expect(asked).toEqual([]);
    // The same secret name CDK wires up: DATABASE_SECRET_ARN (its `password` field), or a plain DATABASE variable.
    expect(await (c.password as () => Promise<string>)()).toBe('from-secret');
    expect(asked).toEqual(['DATABASE#password']);
  });
  it('PGSSLMODE=disable turns TLS off; PG_POOL_MAX overrides the size', () => {
    expect(pool({ PGHOST: 'h', PGSSLMODE: 'disable', PG_POOL_MAX: '1' })).toMatchObject({ ssl: false, max: 1 });
  });
  it('refuses to run without any database configured', () => {
    expect(() => pool({})).toThrow(/DATABASE_URL/);
  });
});
