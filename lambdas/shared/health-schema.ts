// The answer of `GET /health` as a zod/mini schema: what the API description
// (lambdas/openapi/openapi.generated.json) documents, and what test/unit/openapi holds
// checkHealth's real output to. A module of its own, imported by no handler, so that no Lambda
// bundle carries it (health.ts is in the profile function's, which is kept under 250 KB).
import * as z from 'zod/mini';
import type { checkHealth } from './health.ts';

export const dependencyHealthSchema = z.object({
  status: z.enum(['up', 'down', 'disabled']).check(z.describe('`disabled`: not configured in this process.')),
  detail: z.optional(z.string().check(z.describe('What the check saw, e.g. "3 waiting, 12 in flight, 0 in the DLQ".'))),
  latencyMs: z.optional(z.number().check(z.int(), z.minimum(0))),
});

export const healthAnswerSchema = z.object({
  status: z.enum(['ok', 'degraded']).check(z.describe('`ok` when every dependency is `up`; the answer is a 200 either way.')),
  dependencies: z.record(z.string(), dependencyHealthSchema),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** A type error here means checkHealth and the schema no longer describe the same answer. */
export type HealthAnswerMatchesCode = Assert<Same<z.infer<typeof healthAnswerSchema>, Awaited<ReturnType<typeof checkHealth>>>>;
