// `npm start`: runs the whole system locally (see local/stack.ts and the README).
import { localParts } from '../local/parts.ts';
import { startLocalStack } from '../local/stack.ts';

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
    console.error('drain took over 30 s; exiting');
    process.exit(1);
  }, 30_000);
  force.unref();
  await stack.stop();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// Only now: whoever waits for this line may signal at once (a pipe write is synchronous).
console.log(`ready: ${stack.url}  (try ${stack.url}/api/profiles/demo)`);
