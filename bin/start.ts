// `npm start`: runs the whole system locally (see local/stack.ts and the README).
import { localParts } from '../local/parts.ts';
import { startLocalStack } from '../local/stack.ts';

/** Longest a shutdown may take before it gives up, says what was left and exits 1. */
const FORCE_EXIT_MS = 30_000;

const stack = await startLocalStack(process.env, localParts()).catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
});
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: draining...`);
  const force = setTimeout(() => {
    const left = stack.pending();
    console.error(
      `drain took over ${FORCE_EXIT_MS / 1000} s; exiting 1 with ${left.length ? `not stopped: ${left.join('; ')}` : 'everything stopped'}`,
    );
    process.exit(1);
  }, FORCE_EXIT_MS);
  force.unref();
  const problems = await stack.stop().catch((err: unknown) => [err instanceof Error ? err.message : String(err)]);
  if (problems.length) {
    console.error(`stopped with ${problems.length} problem(s), exiting 1:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// Only now: whoever waits for this line may signal at once (a pipe write is synchronous).
console.log(`ready: ${stack.url}  (try ${stack.url}/api/profiles/demo)`);
