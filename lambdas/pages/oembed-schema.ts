// The answer of `GET /oembed` (oembedAnswer in oembed.ts) as a zod/mini schema, for the API
// description (lambdas/openapi/openapi.generated.json); test/unit/openapi holds the route's real
// answers to it. Imported by no handler, so the profile bundle does not carry it.
import * as z from 'zod/mini';
import type { oembedAnswer } from './oembed.ts';

const pixels = z.number().check(z.int(), z.minimum(1));

export const oembedAnswerSchema = z.object({
  version: z.literal('1.0'),
  type: z.literal('rich'),
  title: z.string(),
  author_name: z.string(),
  author_url: z.string().check(z.describe('The profile page.')),
  provider_name: z.string(),
  provider_url: z.string(),
  cache_age: z.number().check(z.int(), z.minimum(0), z.describe('Seconds a consumer may keep the answer.')),
  html: z.string().check(z.describe('An <iframe> of /embed/{username}.')),
  width: pixels,
  height: pixels,
});

// The code types version and type as string; the schema says which string (the test checks it).
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Narrower<A, B> = [A] extends [B] ? true : false;
type Assert<T extends true> = T;
type Answer = z.infer<typeof oembedAnswerSchema>;
/** A type error here means oembedAnswer and the schema no longer describe the same answer. */
export type OembedAnswerMatchesCode = Assert<SameKeys<Answer, ReturnType<typeof oembedAnswer>>> &
  Assert<Narrower<Answer, ReturnType<typeof oembedAnswer>>>;
