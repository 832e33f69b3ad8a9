// The change watcher in `npm start`: the same ChangeWatcher the Lambda runs, every
// WATCH_INTERVAL_S in process (after the API listens), one log line per run and one per change
// found. A run never overlaps the next (each is scheduled after the previous ends). Stopped first
// on shutdown (it is the last part): a run in progress starts no new check, and the checks in
// flight finish (within the origin's retry budget) before the queue and consumer drain.
import type { LocalPart } from './stack.ts';

export const watcherPart = (): LocalPart => {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const abort = new AbortController();
  return {
    name: 'watcher',
    async afterApi(_env, log) {
      // Loaded only now: the wiring reads the configuration the stack has filled in.
      const { wireWatcher } = await import('../lambdas/wiring/watcher.ts');
      const { runLine } = await import('../lambdas/watcher/handler.ts');
      const { config } = await import('../lambdas/config/config.ts');
      const deps = wireWatcher();
      if (deps.intervalS <= 0) {
        log('watcher: off (WATCH_INTERVAL_S is 0; unset, it is 60 s for ORIGIN=linktree and linktree-mcp, else 0)');
        return;
      }
      const periodMs = deps.intervalS * 1000;
      log(
        `watcher: every ${deps.intervalS} s, re-reading profiles read within ${config().WATCH_HOT_S} s, ` +
          `within ${deps.budgetPerMin}/min of the origin budget`,
      );
      const tick = (): void => {
        const at = Date.now();
        running = deps.watcher
          .run(at + periodMs, abort.signal)
          .then((r) => {
            log(runLine(r, deps.budgetPerMin));
            for (const f of r.found) log(`watcher: ${f.username} changed: ${f.type} ${f.eventId} enqueued`);
          })
          .catch((err: unknown) => log(`watcher: run failed: ${err instanceof Error ? err.message : String(err)}`))
          .finally(() => {
            running = undefined;
            if (!stopped) timer = setTimeout(tick, Math.max(0, at + periodMs - Date.now()));
          });
      };
      timer = setTimeout(tick, periodMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
      await running;
    },
    pending: () => (running ? 'a run in progress (a change it has not applied yet is found again next run)' : undefined),
  };
};
