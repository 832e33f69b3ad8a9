// `GET /health`: each dependency's state. Modules that own a dependency register a check; the
// route reports whichever are loaded in the process (in the local stack: all of them).

export type DependencyState = 'up' | 'down' | 'disabled';

export interface DependencyHealth {
  status: DependencyState;
  detail?: string;
  latencyMs?: number;
}

export type HealthCheck = () => Promise<DependencyHealth>;

const checks = new Map<string, HealthCheck>();

export const registerHealthCheck = (name: string, check: HealthCheck): void => {
  checks.set(name, check);
};

const CHECK_TIMEOUT_MS = 1_000;

export const checkHealth = async (
  extra: Record<string, HealthCheck> = {},
): Promise<{ status: 'ok' | 'degraded'; dependencies: Record<string, DependencyHealth> }> => {
  const all = { ...Object.fromEntries(checks), ...extra };
  const entries = await Promise.all(
    Object.entries(all).map(async ([name, check]) => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<DependencyHealth>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'down', detail: 'timed out' }), CHECK_TIMEOUT_MS);
      });
      const result = await Promise.race([
        check().catch((err: unknown): DependencyHealth => ({ status: 'down', detail: String(err) })),
        timeout,
      ]);
      clearTimeout(timer);
      return [name, { latencyMs: Math.round(performance.now() - started), ...result }] as const;
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const degraded = entries.some(([, h]) => h.status !== 'up');
  return { status: degraded ? 'degraded' : 'ok', dependencies };
};
