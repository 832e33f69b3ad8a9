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

// Safe text: what every string that may end up in a queue event or a Postgres row must be.
// Postgres text cannot hold NUL (a batch carrying one fails as a whole), and no field of ours has
// a use for any control character (Unicode category Cc: C0, DEL, C1; tab and newline included: ids,
// usernames, URLs, referrers, utm values and link titles are all single-line). A lone UTF-16
// surrogate is not Unicode: the UTF-8 encoder silently turns it into U+FFFD, so two different
// values could be stored as one.
const CONTROL = /\p{Cc}/u;

/** Why `s` is not safe text, or undefined when it is. */
export const unsafeTextReason = (s: string): string | undefined => {
  if (CONTROL.test(s)) return 'must not contain control characters';
  if (!s.isWellFormed()) return 'must not contain unpaired surrogates';
  return undefined;
};

export const isSafeText = (s: string): boolean => unsafeTextReason(s) === undefined;

/** The zod check behind `safeText`, for string schemas that need more checks after it. */
export const safeTextCheck = z.superRefine<string>((s, ctx) => {
  const reason = unsafeTextReason(s);
  if (reason) ctx.addIssue({ code: 'custom', message: reason, input: s });
});

/**
 * A string of safe text with explicit bounds (in UTF-16 code units, as zod counts). Safety is
 * checked first, so a value with a NUL says so rather than "too big".
 */
export const safeText = (bounds: { min?: number; max: number }) =>
  z.string().check(safeTextCheck, ...(bounds.min ? [z.minLength(bounds.min)] : []), z.maxLength(bounds.max));

/**
 * `s` cut to at most `max` code units, never leaving half a surrogate pair at the end (which
 * would make it unsafe).
 */
export const truncateText = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
};

/**
 * A value copied from a request header into an event: safe text within `max`, or undefined when
 * absent or unsafe. Over `max` it is cut (`overLength: 'cut'`, for values still useful in part,
 * like a URL) or dropped (`'drop'`, for codes). A header never fails a request; a garbled one is
 * left out.
 */
export const headerText = (raw: string | undefined, max: number, overLength: 'cut' | 'drop' = 'cut'): string | undefined => {
  if (!raw || !isSafeText(raw)) return undefined;
  if (raw.length > max && overLength === 'drop') return undefined;
  return truncateText(raw, max) || undefined;
};
