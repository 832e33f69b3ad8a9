// The answer of `POST /api/events` as a zod/mini schema, for the API description
// (lambdas/openapi/openapi.generated.json); test/unit/openapi holds the route's real answers to
// it. Imported by no handler, so the track bundle does not carry it.
import * as z from 'zod/mini';

const count = z.number().check(z.int(), z.minimum(0));

export const beaconAnswerSchema = z.object({
  accepted: count.check(z.describe('Events in the body, all valid.')),
  counted: count.check(z.describe('Events enqueued to be counted: 0 for bots, else `accepted`.')),
});
