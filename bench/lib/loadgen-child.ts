// Entry of the load-generator process (spawned by loadgen.ts runLoad): options as JSON in argv[2];
// prints `phase measure` when the measured window starts and `result <json>` at the end.
import { type LoadOptions, loadLoop } from './loadgen-core.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const result = await loadLoop(opts, (phase) => process.stdout.write(`phase ${phase}\n`));
process.stdout.write(`result ${JSON.stringify(result)}\n`);
process.exit(0);
