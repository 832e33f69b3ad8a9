// The links view's answer (`GET /api/profiles/{username}/links`, lambdas/profile/views.ts) as a
// zod/mini schema, for the API description (lambdas/openapi/openapi.generated.json);
// test/unit/openapi holds the route's real answers to it. A module of its own, imported by no
// handler, so the profile bundle does not carry it.
import * as z from 'zod/mini';
import { linkSchema } from './profile.ts';

export const linksAnswerSchema = z.object({
  links: z.array(linkSchema).check(z.describe('The enabled links only, by position.')),
});
