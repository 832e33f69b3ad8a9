// Every failure the service knows by name. Mapped to HTTP in one place (`http.ts`).

export interface AppErrorOptions {
  cause?: unknown;
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

export class ValidationError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(400, 'INVALID_REQUEST', message, options);
  }
}

export class InvalidUsernameError extends AppError {
  constructor(username: string) {
    super(400, 'INVALID_USERNAME', `"${username.slice(0, 64)}" is not a valid username: use 1-30 letters, digits, "." or "_".`);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.', options?: AppErrorOptions) {
    super(401, 'UNAUTHORIZED', message, { headers: { 'www-authenticate': 'Bearer' }, ...options });
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'No such route.', code = 'NOT_FOUND') {
    super(404, code, message);
  }
}

export class ProfileNotFoundError extends AppError {
  readonly username: string;
  constructor(username: string, options?: AppErrorOptions) {
    super(404, 'PROFILE_NOT_FOUND', `No profile named "${username}".`, options);
    this.username = username;
  }
}

export class LinkNotFoundError extends AppError {
  constructor(username: string, linkId: string) {
    super(404, 'LINK_NOT_FOUND', `Profile "${username}" has no enabled link "${linkId.slice(0, 64)}".`);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(413, 'PAYLOAD_TOO_LARGE', `The request body is over the ${limitBytes}-byte limit.`);
  }
}

/** The origin failed, timed out or its request budget is spent, and no cached copy exists. */
export class OriginUnavailableError extends AppError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number, options?: AppErrorOptions) {
    const after = Math.max(1, Math.ceil(retryAfterS));
    super(503, 'ORIGIN_UNAVAILABLE', message, { ...options, headers: { 'retry-after': String(after) } });
    this.retryAfterS = after;
  }
}

/** A dependency other than the origin (queue, database) is down and the request can't be served. */
export class DependencyUnavailableError extends AppError {
  constructor(dependency: string, options?: AppErrorOptions) {
    super(503, 'SERVICE_UNAVAILABLE', `The ${dependency} is unavailable; try again shortly.`, {
      ...options,
      headers: { 'retry-after': '5', ...options?.headers },
    });
  }
}

/** A webhook whose Standard Webhooks signature, headers or timestamp do not check out. */
export class InvalidSignatureError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(401, 'INVALID_SIGNATURE', message, options);
  }
}

/** The same webhook-id is being processed right now by another invocation; the sender retries. */
export class WebhookInProgressError extends AppError {
  constructor(webhookId: string, retryAfterS: number) {
    const after = Math.max(1, Math.ceil(retryAfterS));
    super(409, 'WEBHOOK_IN_PROGRESS', `Webhook "${webhookId.slice(0, 64)}" is already being processed; retry in ${after} s.`, {
      headers: { 'retry-after': String(after) },
    });
  }
}

/** A write reached the origin but a follow-up (invalidation, event) failed; the message says what to redo. */
export class IncompleteWriteError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(503, 'WRITE_INCOMPLETE', message, { ...options, headers: { 'retry-after': '5', ...options?.headers } });
  }
}

/**
 * A representation this route does not offer. oEmbed (`GET /oembed?format=xml`) asks for a 501
 * here rather than a 400, so consumers fall back to the format they can have.
 */
export class NotImplementedError extends AppError {
  constructor(message: string) {
    super(501, 'NOT_IMPLEMENTED', message);
  }
}

/** A valid key that lacks the scope or the profile a private route needs. */
export class ForbiddenError extends AppError {
  constructor(message = 'This key may not do that.', options?: AppErrorOptions) {
    super(403, 'FORBIDDEN', message, options);
  }
}

/** The origin's plan does not include what was asked (Linktree's MCP `UPGRADE_REQUIRED`). */
export class UpgradeRequiredError extends AppError {
  constructor(message = "The origin account's plan does not allow this.", options?: AppErrorOptions) {
    super(403, 'UPGRADE_REQUIRED', message, options);
  }
}

/** The configured origin cannot do this at all (writes through public Linktree pages). */
export class NotSupportedError extends AppError {
  constructor(message: string, options?: AppErrorOptions) {
    super(501, 'NOT_SUPPORTED', message, options);
  }
}

/**
 * The origin answered, but not in the shape this service reads (a Linktree page without its
 * `__NEXT_DATA__`, or without `account.username`; an MCP tool result of another shape). An origin
 * failure like any other: stale copies keep being served, 503 when nothing is cached; never a 404
 * and never a half-mapped profile. Counted as `OriginShapeChanged`, which has its own alarm.
 */
export class OriginShapeError extends OriginUnavailableError {
  readonly detail: string;
  constructor(detail: string, options?: AppErrorOptions) {
    super('The profile origin answered in a shape this service cannot read.', 60, options);
    this.detail = detail;
  }
}
