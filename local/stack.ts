// `npm start`: the whole system on one machine. Fills in embedded defaults for every variable of
// contract section 1 that is unset, starts the stand-ins, then loads the same handler modules
// Lambda runs behind the local API Gateway adapter.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type FunctionName, routes } from '../lambdas/contracts/routes.ts';
import { type Environment, parseConfig } from '../lambdas/config/variables.ts';
import { DemoOrigin } from './demo-origin.ts';
import { createLocalApi, type LambdaHttpHandler } from './http-adapter.ts';

export interface LocalStack {
  url: string;
  origin: DemoOrigin | undefined;
  /** Drains and stops every part; resolves with what went wrong (empty: nothing was lost). */
  stop(): Promise<string[]>;
  /** While stopping: what has not been stopped yet, and what each such part would lose. */
  pending(): string[];
}

/** A part of the local stack started before the handlers load (emulators, databases, pollers). */
export interface LocalPart {
  name: string;
  /** Called after the environment defaults are set and before the handlers load. */
  start?(env: Environment, log: (line: string) => void): Promise<void>;
  /** Called after the API listens; for parts that invoke handlers themselves (the SQS poller). */
  afterApi?(env: Environment, log: (line: string) => void): Promise<void>;
  /** Drains and stops, in reverse order of start; throws to report what it could not keep. */
  stop?(): Promise<void>;
  /** What a forced exit now would lose (undefined: nothing), for the shutdown's last words. */
  pending?(): string | undefined;
}

const DEV_ORIGIN_API_KEY = 'dev-origin-api-key';
/** How long stop() waits for requests in progress (a cold read spends up to ORIGIN_RETRY_BUDGET_MS, 5 s). */
const REQUESTS_DRAIN_MS = 6_000;

const redisReachable = async (url: string): Promise<boolean> => {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
};

export const startLocalStack = async (
  env: Environment = process.env,
  parts: LocalPart[] = [],
  log: (line: string) => void = (line) => console.log(line),
): Promise<LocalStack> => {
  // A bad value stops here, before anything starts, naming the variable and what it accepts.
  const given = parseConfig(env);
  env.LOCAL_STACK = 'true';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  env.POWERTOOLS_SERVICE_NAME ??= 'linkcache-local';
  env.AWS_REGION ??= 'us-east-1';

  if (env.REDIS_URL === undefined) {
    const fallback = 'redis://127.0.0.1:6379';
    if (await redisReachable(fallback)) {
      env.REDIS_URL = fallback;
      log(`redis: ${fallback}`);
    } else {
      env.REDIS_URL = '';
      log(`redis: ${fallback} is unreachable; running on the in-process tier alone (L1 + origin)`);
    }
  } else {
    log(`redis: ${env.REDIS_URL || '(disabled)'}`);
  }

  env.ORIGIN_API_KEY ??= DEV_ORIGIN_API_KEY;
  let origin: DemoOrigin | undefined;
  if (!env.ORIGIN_URL) {
    origin = new DemoOrigin(env.ORIGIN_API_KEY);
    env.ORIGIN_URL = await origin.listen(given.DEMO_ORIGIN_PORT);
    log(
      `origin: demo origin at ${env.ORIGIN_URL} (profiles: ${[...origin.profiles.keys()].join(', ')}); ` +
        `make it fail with: curl -XPOST ${env.ORIGIN_URL}/__control -d '{"mode":"500"}'  (modes: none, 429, 500, slow)`,
    );
  } else {
    log(`origin: ${env.ORIGIN_URL}`);
  }
  // Contract section 1: `http` when ORIGIN_URL is given, else the bundled `demo`.
  if (!env.ORIGIN) env.ORIGIN = origin ? 'demo' : 'http';
  if (env.ORIGIN === 'linktree') {
    const base = env.LINKTREE_BASE_URL || 'https://linktr.ee';
    const offline =
      base.replace(/\/+$/, '') === env.ORIGIN_URL
        ? " (the demo origin's Linktree-shaped pages)"
        : origin
          ? " (offline instead: DEMO_ORIGIN_PORT=4100 LINKTREE_BASE_URL=http://127.0.0.1:4100 reads the demo origin's pages)"
          : '';
    log(`origin: ORIGIN=linktree reads public pages at ${base}${offline}; read-only (writes answer 501)`);
  }

  if (!env.WEBHOOK_SECRET) {
    env.WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
    log(`webhook secret (dev): ${env.WEBHOOK_SECRET}`);
  }
  if (!env.ADMIN_TOKEN) {
    env.ADMIN_TOKEN = `dev-admin-${randomBytes(12).toString('hex')}`;
    log(`admin token (dev): ${env.ADMIN_TOKEN}`);
  }

  const started: LocalPart[] = [];
  const stopParts = async (): Promise<string[]> => {
    const problems: string[] = [];
    while (started.length) {
      const part = started[started.length - 1];
      try {
        await part.stop?.();
      } catch (err) {
        problems.push(`${part.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      started.pop();
    }
    return problems;
  };
  const pending = (): string[] =>
    [...started].reverse().map((part) => {
      const left = part.pending?.();
      return left ? `${part.name}: ${left}` : part.name;
    });
  try {
    for (const part of parts) {
      started.push(part);
      await part.start?.(env, log);
    }

    // Handlers read their configuration at import, so they load only now.
    const handlers: Partial<Record<FunctionName, LambdaHttpHandler>> = {};
    for (const fn of new Set(routes.map((r) => r.fn))) {
      const mod = (await import(`../lambdas/${fn}/index.ts`)) as { handler: LambdaHttpHandler };
      handlers[fn] = mod.handler;
    }

    const server: Server = createLocalApi({ routes, handlers });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(given.PORT, given.HOST, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    for (const part of parts) await part.afterApi?.(env, log);

    const stop = async (): Promise<string[]> => {
      // Requests still running may yet publish: let them finish (bounded) before the queue is
      // drained and kept, so an event answered 202 is never published to a queue already kept.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, REQUESTS_DRAIN_MS).unref())]);
      clearInterval(idle);
      const problems = await stopParts();
      const { readPath } = await import('../lambdas/wiring/read-path.ts');
      const rp = readPath();
      await rp.service.settled();
      rp.redis?.disconnect();
      await origin?.close();
      server.closeAllConnections();
      return problems;
    };
    return { url, origin, stop, pending };
  } catch (err) {
    for (const problem of await stopParts()) log(`while stopping after a failed start: ${problem}`);
    await origin?.close();
    throw err;
  }
};
