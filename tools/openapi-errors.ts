// The error codes of the API description, read off lambdas/shared/errors.ts itself: one instance
// of every AppError subclass it exports gives the code, the status and the headers that come with
// it, so a new error class is in the catalogue (and needs a line in WHEN below, or generation
// fails) without anyone copying its status by hand.
import * as errors from '../lambdas/shared/errors.ts';

export interface ErrorInfo {
  code: string;
  status: number;
  /** Lower-case header names the error always carries (`retry-after`, `www-authenticate`). */
  headers: string[];
  /** When it happens, for people. */
  when: string;
}

// Constructor arguments for the classes whose first argument is not enough to build one.
const PROBE_ARGS: Record<string, unknown[]> = {
  NotFoundError: [],
  LinkNotFoundError: ['probe', 'probe'],
  PayloadTooLargeError: [262_144],
  OriginUnavailableError: ['probe', 1],
  WebhookInProgressError: ['probe', 1],
};

/** When each code happens; a code errors.ts has and this lacks fails the generation. */
const WHEN: Record<string, string> = {
  INVALID_REQUEST: 'A body or query parameter fails validation (shape, bounds, control characters, unpaired surrogates).',
  INVALID_USERNAME: 'The `{username}` does not match `^[A-Za-z0-9._]{1,30}$`.',
  UNAUTHORIZED: 'No bearer token, or not the admin token.',
  NOT_FOUND: 'No such route or resource.',
  PROFILE_NOT_FOUND: 'The origin has no such profile (remembered for NEGATIVE_TTL_S on reads).',
  LINK_NOT_FOUND: 'The profile has no enabled http(s) link with that id.',
  PAYLOAD_TOO_LARGE: 'The body is over the limit.',
  ORIGIN_UNAVAILABLE: 'The origin fails, times out, is over its budget or paused by its own Retry-After, and nothing is cached.',
  SERVICE_UNAVAILABLE: 'The queue, cache, database or idempotency store is down.',
  INVALID_SIGNATURE: 'Webhook headers, timestamp or signature do not check out.',
  WEBHOOK_IN_PROGRESS: 'The same webhook-id is being processed by another delivery.',
  WRITE_INCOMPLETE: 'The origin took the change but a follow-up failed; the message says what to redo.',
  NOT_IMPLEMENTED: 'A representation this route does not offer.',
  FORBIDDEN: 'A valid key that lacks the scope or the profile the route needs.',
  UPGRADE_REQUIRED: "The origin account's plan does not allow this.",
  NOT_SUPPORTED: 'The configured origin cannot do this at all.',
  INTERNAL_ERROR: 'An unexpected failure (no details are given).',
};

type ErrorClass = new (...args: unknown[]) => errors.AppError;

const isErrorClass = (value: unknown): value is ErrorClass =>
  typeof value === 'function' && value.prototype instanceof errors.AppError;

/** Every code by status, from errors.ts plus the 500 that lambdas/shared/http.ts answers for anything else. */
export const errorCatalog = (): Map<string, ErrorInfo> => {
  const out = new Map<string, ErrorInfo>();
  const add = (code: string, status: number, headers: string[]) => {
    const when = WHEN[code];
    if (!when) throw new Error(`tools/openapi-errors.ts: say when ${code} happens (WHEN)`);
    const seen = out.get(code);
    if (seen && seen.status !== status) throw new Error(`${code} is both ${seen.status} and ${status}`);
    out.set(code, { code, status, headers, when });
  };
  for (const [name, value] of Object.entries(errors)) {
    if (!isErrorClass(value)) continue;
    const e = new value(...(PROBE_ARGS[name] ?? ['probe']));
    add(e.code, e.status, Object.keys(e.headers).sort());
  }
  add('INTERNAL_ERROR', 500, []);
  return new Map([...out].sort(([a, x], [b, y]) => x.status - y.status || (a < b ? -1 : 1)));
};
