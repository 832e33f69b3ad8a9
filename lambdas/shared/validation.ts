// What the zod/mini schemas (webhook, admin, track, consumer) share. Full zod registers its English
// messages on its first schema; zod/mini registers none, so every issue would read "Invalid input".
// Registering English here keeps the 400 messages word for word what full zod said.
import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';

if (!z.config().localeError) z.config(en());

/** `path: message` of a failed parse's first issue; `root` stands for an empty path. */
export const firstIssue = (error: z.core.$ZodError, root: string): string => {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || root}: ${issue?.message ?? 'invalid'}`;
};
