// The CDN invalidator (edge stack, us-east-1; context `cdn=true`). SNS invokes it with each notice
// the consumer published (core/cdn-invalidation.ts): the usernames of profiles that changed. For
// each it asks CloudFront to drop the paths those profiles are cached under:
//   - after waiting until the producers' drop of the shared copies is L1_TTL_S old, so no profile
//     container can still refill CloudFront from an in-process copy of the old profile;
//   - exact paths in calls of at most 3,000, then one `/oembed*` wildcard, unless a wildcard this
//     container created after that moment covers it already (wildcards are scarce: 15 in progress);
//   - each call with a CallerReference derived from the SNS message id: a retried notice starts no
//     second (paid) invalidation;
//   - while CloudFront has too many in progress, waiting with backoff inside the invocation, then
//     throwing, so Lambda's asynchronous retries and then the on-failure queue take over.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { MetricNames } from '../contracts/metrics.ts';
import {
  chunk,
  invalidationPaths,
  MAX_PATHS_PER_CALL,
  OEMBED_WILDCARD,
  type PathInvalidator,
  PROFILE_PATH_TEMPLATES,
  parseNotice,
  TooManyInvalidationsError,
} from '../core/cdn-invalidation.ts';
import { logger, metrics, metricsOn } from '../shared/telemetry.ts';

export interface CdnInvalidatorDeps {
  cdn: PathInvalidator;
  /** `L1_TTL_S` in ms: how long a profile container may serve its in-process copy after the shared tier dropped it. */
  l1TtlMs: number;
  /** Cap on that wait, so a long L1_TTL_S cannot hold every notice (default 30 s). */
  maxSettleMs?: number;
  /** Backoff while CloudFront has too many invalidations in progress (default 2 s doubling to 30 s). */
  backoff?: { baseMs: number; capMs: number };
  /** Kept in hand before the function's timeout, to fail cleanly instead of being cut off (default 10 s). */
  reserveMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  count?: (metric: string, value: number) => void;
}

/** Without a Lambda context (tests, a direct call): this much time per invocation. */
const DEFAULT_BUDGET_MS = 60_000;

export const makeInvalidator = (deps: CdnInvalidatorDeps) => {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const count = deps.count ?? (() => {});
  const maxSettleMs = deps.maxSettleMs ?? 30_000;
  const backoff = deps.backoff ?? { baseMs: 2_000, capMs: 30_000 };
  const reserveMs = deps.reserveMs ?? 10_000;
  /** When this container last sent `/oembed*`: a wildcard created after a change's settle time covers it. */
  let wildcardSentAt: number | undefined;

  /** One CreateInvalidation, retried while CloudFront has no room, until the deadline. */
  const send = async (paths: string[], callerReference: string, deadline: number): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.cdn.invalidate(paths, callerReference);
        count(MetricNames.CdnInvalidations, 1);
        count(MetricNames.CdnPathsInvalidated, paths.length);
        return;
      } catch (err) {
        if (!(err instanceof TooManyInvalidationsError)) throw err;
        // Equal jitter: at least half the step, so waiting never degenerates into a busy loop.
        const step = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
        const delay = step / 2 + random() * (step / 2);
        if (now() + delay >= deadline) throw err;
        logger.info('CloudFront has too many invalidations in progress; waiting', { callerReference, attempt, delayMs: delay });
        await sleep(delay);
      }
    }
  };

  const invalidateNotice = async (messageId: string, body: string, deadline: number): Promise<void> => {
    const notice = parseNotice(body);
    if (!notice) {
      // It would fail the same way every time: retrying cannot help.
      logger.error('not an invalidation notice; dropped', { messageId });
      return;
    }
    const paths = invalidationPaths(notice.usernames);
    if (!paths.length) {
      logger.warn('invalidation notice without a valid username; nothing to do', { messageId });
      return;
    }
    const settledAt = (notice.changedAt ?? 0) + deps.l1TtlMs;
    const wait = Math.min(settledAt - now(), maxSettleMs);
    if (wait > 0) await sleep(wait);

    const started = now();
    const calls = chunk(paths, MAX_PATHS_PER_CALL);
    for (const [i, part] of calls.entries()) await send(part, `${messageId}/${i}`, deadline);
    let wildcard = false;
    if (wildcardSentAt === undefined || wildcardSentAt < settledAt) {
      const at = now();
      await send([OEMBED_WILDCARD], `${messageId}/oembed`, deadline);
      wildcardSentAt = Math.max(wildcardSentAt ?? at, at);
      wildcard = true;
    }
    logger.info('CloudFront invalidation created', {
      messageId,
      usernames: paths.length / PROFILE_PATH_TEMPLATES.length,
      paths: paths.length + (wildcard ? 1 : 0),
      calls: calls.length + (wildcard ? 1 : 0),
      waitedMs: Math.max(0, wait),
      ms: now() - started,
    });
  };

  return async (event: SNSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
    const deadline = now() + (context?.getRemainingTimeInMillis?.() ?? DEFAULT_BUDGET_MS) - reserveMs;
    for (const record of event.Records) {
      try {
        await invalidateNotice(record.Sns.MessageId, record.Sns.Message, deadline);
      } catch (err) {
        logger.error('CloudFront invalidation failed; Lambda retries the notice, then sets it aside', {
          messageId: record.Sns.MessageId,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        throw err;
      }
    }
  };
};

export const makeHandler = (deps: CdnInvalidatorDeps) => {
  const base = middy<SNSEvent, void>();
  if (metricsOn) base.use(logMetrics(metrics));
  const invalidate = makeInvalidator(deps);
  return base.handler((event, context) => invalidate(event, context));
};
