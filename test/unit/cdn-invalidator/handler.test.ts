// The CDN invalidator over the real CloudFront adapter, the SDK client mocked (aws-sdk-client-mock).
import { randomUUID } from 'node:crypto';
import {
  AccessDenied,
  CloudFrontClient,
  CreateInvalidationCommand,
  type CreateInvalidationCommandInput,
  TooManyInvalidationsInProgress,
} from '@aws-sdk/client-cloudfront';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudFrontPathInvalidator } from '../../../lambdas/adapters/cloudfront-invalidator.ts';
import { type CdnInvalidatorDeps, makeHandler, makeInvalidator } from '../../../lambdas/cdn-invalidator/handler.ts';
import type { InvalidationNotice } from '../../../lambdas/core/cdn-invalidation.ts';
import { MetricNames } from '../../../lambdas/contracts/metrics.ts';
import { lambdaContext } from '../../helpers/events.ts';

const cloudfront = mockClient(CloudFrontClient);
const T0 = Date.parse('2026-03-01T12:00:00Z');

const snsEvent = (notice: InvalidationNotice | string, messageId: string = randomUUID()): SNSEvent => ({
  Records: [
    {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:eu-west-1:000000000000:cdn-invalidations:sub',
      Sns: {
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: 'arn:aws:sns:eu-west-1:000000000000:cdn-invalidations',
        Subject: '',
        Message: typeof notice === 'string' ? notice : JSON.stringify(notice),
        Timestamp: new Date(T0).toISOString(),
        SignatureVersion: '1',
        Signature: '',
        SigningCertUrl: '',
        UnsubscribeUrl: '',
        MessageAttributes: {},
      },
    },
  ],
});

const tooMany = () =>
  new TooManyInvalidationsInProgress({
    message: 'Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.',
    $metadata: { httpStatusCode: 400 },
  });

/** A fake clock: sleeping advances it, so deadlines and waits are exact. */
const setup = (over: Partial<CdnInvalidatorDeps> = {}) => {
  let t = T0;
  const sleeps: number[] = [];
  const counts: Record<string, number> = {};
  const deps: CdnInvalidatorDeps = {
    cdn: new CloudFrontPathInvalidator({ client: new CloudFrontClient({ region: 'us-east-1' }), distributionId: 'E2EXAMPLE123' }),
    l1TtlMs: 5_000,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
    random: () => 0.5,
    count: (m, v) => {
      counts[m] = (counts[m] ?? 0) + v;
    },
    ...over,
  };
  const advance = (ms: number) => {
    t += ms;
  };
  return { invalidate: makeInvalidator(deps), sleeps, counts, advance, now: () => t };
};

const inputs = (): CreateInvalidationCommandInput[] =>
  cloudfront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input);

beforeEach(() => {
  cloudfront.reset();
  cloudfront
    .on(CreateInvalidationCommand)
    .resolves({ Invalidation: { Id: 'I1', Status: 'InProgress', CreateTime: new Date(), InvalidationBatch: undefined } });
});

describe('cdn invalidator', () => {
  it("invalidates each profile's cached paths, then /oembed* once, with CallerReferences from the message id", async () => {
    const s = setup();
    await s.invalidate(snsEvent({ usernames: ['alice', 'Bob', 'alice'] }, 'msg-1'));
    expect(inputs()).toEqual([
      {
        DistributionId: 'E2EXAMPLE123',
        InvalidationBatch: {
          CallerReference: 'msg-1/0',
          Paths: {
            Quantity: 10,
            Items: [
              '/api/profiles/alice',
              '/api/profiles/alice/links',
              '/alice',
              '/embed/alice',
              '/dashboard/alice',
              '/api/profiles/bob',
              '/api/profiles/bob/links',
              '/bob',
              '/embed/bob',
              '/dashboard/bob',
            ],
          },
        },
      },
      {
        DistributionId: 'E2EXAMPLE123',
        InvalidationBatch: { CallerReference: 'msg-1/oembed', Paths: { Quantity: 1, Items: ['/oembed*'] } },
      },
    ]);
    expect(s.counts).toEqual({ [MetricNames.CdnInvalidations]: 2, [MetricNames.CdnPathsInvalidated]: 11 });
  });

  it('keeps every call within 3,000 paths', async () => {
    const s = setup();
    const usernames = Array.from({ length: 1_300 }, (_, i) => `user${i}`);
    await s.invalidate(snsEvent({ usernames }, 'big'));
    const calls = inputs();
    expect(calls.map((c) => c.InvalidationBatch?.Paths?.Quantity)).toEqual([3_000, 3_000, 500, 1]);
    expect(calls.map((c) => c.InvalidationBatch?.CallerReference)).toEqual(['big/0', 'big/1', 'big/2', 'big/oembed']);
    for (const c of calls) expect(c.InvalidationBatch?.Paths?.Items).toHaveLength(c.InvalidationBatch?.Paths?.Quantity ?? -1);
    expect(new Set(calls.flatMap((c) => c.InvalidationBatch?.Paths?.Items)).size).toBe(1_300 * 5 + 1);
  });

  it('waits until the change is L1_TTL_S old before invalidating, at most maxSettleMs', async () => {
    const s = setup();
    await s.invalidate(snsEvent({ usernames: ['alice'], changedAt: T0 - 2_000 }));
    expect(s.sleeps).toEqual([3_000]);
    const late = setup();
    await late.invalidate(snsEvent({ usernames: ['alice'], changedAt: T0 - 60_000 }));
    expect(late.sleeps).toEqual([]);
    const capped = setup({ l1TtlMs: 3_600_000, maxSettleMs: 30_000 });
    await capped.invalidate(snsEvent({ usernames: ['alice'], changedAt: T0 }));
    expect(capped.sleeps).toEqual([30_000]);
  });

  it('while CloudFront has too many in progress, waits with growing backoff and tries the same call again', async () => {
    cloudfront.on(CreateInvalidationCommand).rejectsOnce(tooMany()).rejectsOnce(tooMany()).resolves({});
    const s = setup();
    await s.invalidate(snsEvent({ usernames: ['alice'] }, 'msg-2'), { getRemainingTimeInMillis: () => 120_000 });
    // Equal jitter with random 0.5: 3/4 of 2 s, then of 4 s.
    expect(s.sleeps).toEqual([1_500, 3_000]);
    expect(inputs().map((c) => c.InvalidationBatch?.CallerReference)).toEqual(['msg-2/0', 'msg-2/0', 'msg-2/0', 'msg-2/oembed']);
    expect(s.counts[MetricNames.CdnInvalidations]).toBe(2);
  });

  it('throws TooManyInvalidationsInProgress once the invocation runs out of time, so Lambda retries the notice', async () => {
    cloudfront.on(CreateInvalidationCommand).rejects(tooMany());
    const s = setup();
    // 10 s left, 10 s reserve by default: no time to wait at all.
    await expect(s.invalidate(snsEvent({ usernames: ['alice'] }), lambdaContext())).rejects.toMatchObject({
      name: 'TooManyInvalidationsError',
      cause: expect.objectContaining({ name: 'TooManyInvalidationsInProgress' }),
    });
    expect(s.sleeps).toEqual([]);
    const patient = setup();
    await expect(
      patient.invalidate(snsEvent({ usernames: ['alice'] }), { getRemainingTimeInMillis: () => 120_000 }),
    ).rejects.toMatchObject({ name: 'TooManyInvalidationsError' });
    expect(patient.sleeps.length).toBeGreaterThan(2);
    expect(patient.now() - T0).toBeLessThanOrEqual(110_000);
    expect(patient.counts).toEqual({});
  });

  it('a retried notice sends the same CallerReferences and paths (CloudFront starts nothing twice)', async () => {
    const s = setup();
    const event = snsEvent({ usernames: ['alice', 'bob'] }, 'msg-3');
    await s.invalidate(event);
    const first = inputs();
    cloudfront.resetHistory();
    await setup().invalidate(event);
    expect(inputs()).toEqual(first);
  });

  it('throws any other CloudFront error at once', async () => {
    cloudfront.on(CreateInvalidationCommand).rejects(new AccessDenied({ message: 'denied', $metadata: { httpStatusCode: 403 } }));
    const s = setup();
    await expect(s.invalidate(snsEvent({ usernames: ['alice'] }))).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(s.sleeps).toEqual([]);
    expect(inputs()).toHaveLength(1);
  });

  it('skips /oembed* when a wildcard this container sent after the change settled covers it', async () => {
    const s = setup();
    await s.invalidate(snsEvent({ usernames: ['alice'], changedAt: T0 - 10_000 }, 'a'));
    // Older than the wildcard just sent (settled at T0 − 5 s): covered.
    await s.invalidate(snsEvent({ usernames: ['bob'], changedAt: T0 - 20_000 }, 'b'));
    s.advance(60_000);
    // Changed after it: needs its own.
    await s.invalidate(snsEvent({ usernames: ['carol'], changedAt: s.now() - 1_000 }, 'c'));
    expect(inputs().map((c) => c.InvalidationBatch?.CallerReference)).toEqual(['a/0', 'a/oembed', 'b/0', 'c/0', 'c/oembed']);
  });

  it('drops what is not a notice, or names no valid username, without calling CloudFront', async () => {
    const s = setup();
    await s.invalidate(snsEvent('not json'));
    await s.invalidate(snsEvent({ usernames: ['a/b', '*'] }));
    expect(inputs()).toEqual([]);
  });

  it('is a middy handler that answers SNS events', async () => {
    const handler = makeHandler({
      cdn: new CloudFrontPathInvalidator({
        client: new CloudFrontClient({ region: 'us-east-1' }),
        distributionId: 'E2EXAMPLE123',
      }),
      l1TtlMs: 0,
    });
    await handler(snsEvent({ usernames: ['alice'] }, 'msg-4'), lambdaContext());
    expect(inputs().map((c) => c.InvalidationBatch?.CallerReference)).toEqual(['msg-4/0', 'msg-4/oembed']);
  });
});
