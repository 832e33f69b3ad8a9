// How every Lambda is bundled, in one dependency-free module: CDK's NodejsFunction
// (constructs/service-function.ts) and the bench's size/cold-init measurements (bench/lib/bundle.ts)
// both read it, so the bench measures exactly what is deployed.

/**
 * Modules only the local stack uses (embedded Postgres, SQS/DynamoDB emulators) or optional
 * native add-ons: never bundled. Lambda code must import them lazily, on local-only paths.
 */
export const LOCAL_ONLY_MODULES = [
  '@electric-sql/pglite',
  '@electric-sql/pglite-socket',
  '@electric-sql/pglite/*',
  'pg-native',
  'fauxqs',
  'dynalite',
];

/**
 * Lets CommonJS dependencies (ioredis, pg, ...) call `require` for Node built-ins inside an
 * ESM bundle, and gives them `__filename`/`__dirname`.
 */
export const ESM_BANNER = [
  "import { createRequire as __cjsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __cjsFileURLToPath } from 'node:url';",
  "import { dirname as __cjsDirname } from 'node:path';",
  'const require = __cjsCreateRequire(import.meta.url);',
  'const __filename = __cjsFileURLToPath(import.meta.url);',
  'const __dirname = __cjsDirname(__filename);',
].join(' ');

/**
 * Packages replaced in every bundle (esbuild `alias`, paths relative to the repository root, the
 * bundler's working directory): `debug`, through which ioredis would log only under DEBUG, by a
 * logger that is always off.
 */
export const BUNDLE_ALIASES: Record<string, string> = { debug: './lambdas/shared/no-debug.ts' };

/** esbuild settings shared by both (NodejsFunction names them differently; see service-function.ts). */
export const BUNDLE_TARGET = 'node24';

/**
 * The Linktree MCP origin (the MCP SDK, the Secrets Manager client and full zod, ~300 KB) is not
 * in any function's bundle: lambdas/wiring/linktree-mcp.ts imports it by a computed specifier on
 * first use, and for a stage whose ORIGIN is linktree-mcp it is built on its own into this file
 * next to each read-path function's index.mjs (constructs/service-function.ts).
 */
export const LINKTREE_MCP_MODULE_FILE = 'linktree-mcp.mjs';
export const LINKTREE_MCP_MODULE_ENTRY = 'lambdas/adapters/linktree-mcp-origin.ts';
