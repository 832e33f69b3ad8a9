import { describe, expect, it } from 'vitest';
import { poolConfig } from '../../../lambdas/shared/database.ts';

describe('poolConfig', () => {
  it('uses DATABASE_URL with a Lambda-sized pool', () => {
    const c = poolConfig({ DATABASE_URL: 'postgresql://u@h:5432/db' });
    expect(c).toMatchObject({ connectionString: 'postgresql://u@h:5432/db', max: 2, idleTimeoutMillis: 60_000 });
  });
  it('in AWS: libpq variables, TLS verified, password from the secret (read lazily)', async () => {
    const c = poolConfig({
      PGHOST: 'proxy.example',
      PGPORT: '5432',
      PGDATABASE: 'linkcache',
      PGUSER: 'app',
    });
    expect(c).toMatchObject({
      host: 'proxy.example',
      port: 5432,
      database: 'linkcache',
      user: 'app',
      ssl: { rejectUnauthorized: true },
    });
    expect(typeof c.password).toBe('function');
    // The same secret name CDK wires up: DATABASE_SECRET_ARN, or a plain DATABASE variable.
    process.env.DATABASE = 'from-env';
    try {
      expect(await (c.password as () => Promise<string>)()).toBe('from-env');
    } finally {
      delete process.env.DATABASE;
    }
  });
  it('PGSSLMODE=disable turns TLS off; PG_POOL_MAX overrides the size', () => {
    expect(poolConfig({ PGHOST: 'h', PGSSLMODE: 'disable', PG_POOL_MAX: '1' })).toMatchObject({ ssl: false, max: 1 });
  });
  it('refuses to run without any database configured', () => {
    expect(() => poolConfig({})).toThrow(/DATABASE_URL/);
  });
});
