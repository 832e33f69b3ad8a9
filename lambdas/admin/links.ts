// `PATCH /api/profiles/{username}/links`: validated link updates, forwarded to the origin through
// the read path's rate-limited client; then every cached view is invalidated and `links.updated`
// published, and the origin's new profile is returned.
import * as z from 'zod/mini';
import type { ProfileInvalidator } from '../core/invalidation.ts';
import type { ProfileOrigin } from '../core/ports.ts';
import type { ProfileService } from '../core/profile-service.ts';
import { isHttpUrl, type LinkUpdate } from '../core/profile.ts';
import { IncompleteWriteError, ValidationError } from '../shared/errors.ts';
import { type EventPublisher, newEvent } from '../core/events.ts';
import { type HttpEvent, type HttpResult, json, rawBody } from '../shared/http.ts';
import { parseUsername } from '../shared/username.ts';
import { firstIssue, safeText, safeTextCheck } from '../shared/validation.ts';

export const MAX_LINK_UPDATES = 100;

// Safe text everywhere (shared/validation.ts), titles included: a title is one line, so tab and
// newline are refused like any other control character.
export const linkUpdateSchema = z.strictObject({
  id: z.optional(safeText({ min: 1, max: 100 })),
  title: z.optional(safeText({ max: 300 })),
  url: z.optional(
    z.string().check(safeTextCheck, z.maxLength(2048), z.refine(isHttpUrl, 'only http: and https: URLs are accepted')),
  ),
  position: z.optional(z.number().check(z.int(), z.minimum(0))),
  enabled: z.optional(z.boolean()),
});

export const linksPatchSchema = z.strictObject({
  links: z.array(linkUpdateSchema).check(z.minLength(1), z.maxLength(MAX_LINK_UPDATES)),
});

export const parseLinksPatch = (event: HttpEvent): LinkUpdate[] => {
  let body: unknown;
  try {
    body = JSON.parse(rawBody(event).toString('utf8'));
  } catch {
    throw new ValidationError('The body is not valid JSON: send {"links": LinkUpdate[]}.');
  }
  const parsed = linksPatchSchema.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(`Invalid link update at ${firstIssue(parsed.error, '(root)')}.`);
  }
  return parsed.data.links;
};

export interface LinksRouteDeps {
  service: Pick<ProfileService, 'profile'>;
  origin: Pick<ProfileOrigin, 'updateLinks'>;
  invalidator: Pick<ProfileInvalidator, 'invalidateProfile'>;
  publisher: EventPublisher;
}

export const patchLinksRoute =
  (deps: LinksRouteDeps) =>
  async (event: HttpEvent): Promise<HttpResult> => {
    const username = parseUsername(event.pathParameters?.username);
    const links = parseLinksPatch(event);
    const { profile: current } = await deps.service.profile(username);
    const updated = await deps.origin.updateLinks(current.id, links, current.username);
    // The origin has changed from here on: a failure below says so, and what to redo.
    try {
      await deps.invalidator.invalidateProfile({ profileId: updated.id, username });
    } catch (err) {
      throw new IncompleteWriteError(
        `The links were updated at the origin, but the cache could not be invalidated; retry POST /api/cache/invalidate/${username}.`,
        { cause: err },
      );
    }
    try {
      await deps.publisher.publish(
        newEvent('links.updated', { profileId: updated.id, username, linkIds: updated.links.map((l) => l.id) }),
      );
    } catch (err) {
      throw new IncompleteWriteError(
        'The links were updated and the cache invalidated, but the links.updated event could not be queued.',
        {
          cause: err,
        },
      );
    }
    return json(200, updated, { 'cache-control': 'no-store' });
  };
