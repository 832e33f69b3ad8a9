// The bench's options: the BENCH_* variables (and the Redis/Postgres it uses) of the one
// configuration schema, parsed once. `npm run bench -- --help` lists them.
import { parseConfig } from '../../lambdas/config/variables.ts';

export const bench = parseConfig(process.env);
