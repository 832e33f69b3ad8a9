import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lambdas/adapters/dynamo-idempotency-store.ts';
import { SqsEventPublisher } from '../../../lambdas/adapters/sqs-event-publisher.ts';
import { eventIdFor, idempotencyKey } from '../../../lambdas/core/webhook.ts';
import type { HttpResult } from '../../../lambdas/shared/http.ts';
import { MAX_WEBHOOK_BYTES, makeHandler } from '../../../lambdas/webhook/handler.ts';
import { apiEvent, lambdaContext } from '../../helpers/events.ts';
import { newWebhookSecret, type SignedWebhook, signWebhook, webhookBody } from '../../helpers/webhooks.ts';
import { FakeInvalidator, FakePublisher, MemoryIdempotency } from '../../helpers/write-fakes.ts';

const SECRET = newWebhookSecret();

const setup = () => {
  const idempotency = new MemoryIdempotency();
  const publisher = new FakePublisher();
  const invalidator = new FakeInvalidator();
  const handler = makeHandler({ secret: async () => SECRET, idempotency, publisher, invalidator, leaseMs: 30_000 });
  const call = async (req: { headers: Record<string, string>; body?: string; isBase64Encoded?: boolean }) =>
    (await handler(
      apiEvent({
        method: 'POST',
        route: '/webhooks/linktree',
        headers: req.headers,
        body: req.body,
        isBase64Encoded: req.isBase64Encoded,
      }),
      lambdaContext('webhook'),
    )) as HttpResult;
  const send = (w: SignedWebhook) => call({ headers: w.headers, body: w.body });
  return { idempotency, publisher, invalidator, call, send };
};

const errorOf = (res: HttpResult): { code: string; message: string } => JSON.parse(res.body as string).error;

describe('webhook handler: signature', () => {
  it('accepts a valid webhook, invalidates the profile and enqueues the event once', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody({ profileId: 'prof_1', username: 'Alice' }));
    const res = await t.send(w);
    expect(res.statusCode).toBe(200);
    expect(t.invalidator.calls).toEqual([{ profileId: 'prof_1', username: 'alice' }]);
    expect(t.publisher.published).toHaveLength(1);
    const event = t.publisher.published[0];
    expect(event).toMatchObject({
      id: eventIdFor(w.id),
      type: 'profile.updated',
      data: { profileId: 'prof_1', username: 'alice', webhookId: w.id },
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(t.idempotency.records.get(idempotencyKey(w.id))?.status).toBe('COMPLETED');
  });

  it('accepts rotation: two signatures where only the second is valid', async () => {
    const t = setup();
    const body = webhookBody();
    const w = signWebhook([newWebhookSecret(), SECRET], body);
    expect(w.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect((await t.send(w)).statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
  });

  it('refuses when no signature in the list is valid', async () => {
    const t = setup();
    const w = signWebhook([newWebhookSecret(), newWebhookSecret()], webhookBody());
    const res = await t.send(w);
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a body changed after signing', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody({ profileId: 'prof_1' }));
    const res = await t.call({ headers: w.headers, body: w.body.replace('prof_1', 'prof_2') });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).message).toMatch(/body was changed|wrong secret/);
  });

  it('refuses a webhook signed with the wrong secret', async () => {
    const t = setup();
    const res = await t.send(signWebhook(newWebhookSecret(), webhookBody()));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a signature made over a different webhook-id', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody());
    const res = await t.call({ headers: { ...w.headers, 'webhook-id': 'msg_other' }, body: w.body });
    expect(res.statusCode).toBe(401);
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('refuses a request without %s, naming it', async (name) => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody());
    const headers = { ...w.headers };
    delete headers[name];
    const res = await t.call({ headers, body: w.body });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).message).toContain(name);
  });

  it.each([
    ['webhook-timestamp', 'yesterday', /Unix time/],
    ['webhook-timestamp', '17e8', /Unix time/],
    ['webhook-signature', 'v1', /v1,<base64>/],
    ['webhook-signature', 'v2,abc', /v1,<base64>/],
    ['webhook-signature', 'garbage!!', /v1,<base64>/],
  ])('refuses a malformed %s header (%s)', async (name, value, message) => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody());
    const res = await t.call({ headers: { ...w.headers, [name]: value }, body: w.body });
    expect(res.statusCode).toBe(401);
    expect(errorOf(res).message).toMatch(message);
  });

  it('verifies a base64-encoded body over its raw bytes', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody({ username: 'bob' }));
    const res = await t.call({ headers: w.headers, body: Buffer.from(w.body).toString('base64'), isBase64Encoded: true });
    expect(res.statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
  });
});

describe('webhook handler: timestamp tolerance (5 minutes either way)', () => {
  const NOW_S = 1_800_000_000;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW_S * 1000 + 500);
  });
  afterEach(() => vi.useRealTimers());

  it.each([
    [-300, 200],
    [-301, 401],
    [300, 200],
    [301, 401],
    [0, 200],
  ])('offset %i s → %i', async (offset, status) => {
    const t = setup();
    const res = await t.send(signWebhook(SECRET, webhookBody(), { timestampS: NOW_S + offset }));
    expect(res.statusCode).toBe(status);
    if (status === 401) {
      expect(errorOf(res).message).toMatch(offset < 0 ? /in the past/ : /in the future/);
      expect(t.publisher.published).toHaveLength(0);
    }
  });
});

describe('webhook handler: check order and refusals', () => {
  it('answers 413 for a body over 256 KiB before looking at the signature', async () => {
    const t = setup();
    const big = 'x'.repeat(MAX_WEBHOOK_BYTES + 1);
    const res = await t.call({ headers: { 'webhook-signature': 'v1,AAAA' }, body: big });
    expect(res.statusCode).toBe(413);
    expect(errorOf(res).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('accepts a signed body of exactly 256 KiB', async () => {
    const t = setup();
    const base = webhookBody({ data: { pad: '' } });
    const body = base.replace('"pad":""', `"pad":"${'p'.repeat(MAX_WEBHOOK_BYTES - Buffer.byteLength(base))}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_WEBHOOK_BYTES);
    expect((await t.send(signWebhook(SECRET, body))).statusCode).toBe(200);
  });

  it('answers 401, not 400, for malformed JSON with a bad signature', async () => {
    const t = setup();
    const w = signWebhook(newWebhookSecret(), '{not json');
    expect((await t.send(w)).statusCode).toBe(401);
  });

  it.each([
    ['malformed JSON', '{not json'],
    ['no data', JSON.stringify({ type: 'profile.updated', timestamp: new Date().toISOString() })],
    ['no profileId', JSON.stringify({ type: 'profile.updated', timestamp: new Date().toISOString(), data: {} })],
    ['bad timestamp', JSON.stringify({ type: 'profile.updated', timestamp: 'soon', data: { profileId: 'p' } })],
    [
      'bad username',
      JSON.stringify({
        type: 'profile.updated',
        timestamp: new Date().toISOString(),
        data: { profileId: 'p', username: '../x' },
      }),
    ],
    ['an array', '[]'],
  ])('answers 400 for a validly signed body with %s', async (_, body) => {
    const t = setup();
    const res = await t.send(signWebhook(SECRET, body));
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('INVALID_REQUEST');
  });

  it.each([
    ['type', 'U+0000 (NUL)', { type: 'profile.updated\u0000' }, 'type: must not contain control characters'],
    ['type', 'U+0007 (BEL)', { type: '\u0007profile.updated' }, 'type: must not contain control characters'],
    ['type', 'U+D800 (a lone surrogate)', { type: 'profile.updated\uD800' }, 'type: must not contain unpaired surrogates'],
    ['type', 'over-length', { type: 't'.repeat(101) }, 'type: Too big: expected string to have <=100 characters'],
    ['type', 'a counted type', { type: 'link.clicked' }, 'type: is an analytics event type, not a profile change'],
    ['type', 'a counted type', { type: 'profile.viewed' }, 'type: is an analytics event type, not a profile change'],
    ['profileId', 'U+0000 (NUL)', { profileId: 'prof\u0000' }, 'data.profileId: must not contain control characters'],
    ['profileId', 'U+0007 (BEL)', { profileId: 'prof\u0007' }, 'data.profileId: must not contain control characters'],
    [
      'profileId',
      'U+D800 (a lone surrogate)',
      { profileId: 'prof\uD800' },
      'data.profileId: must not contain unpaired surrogates',
    ],
    [
      'profileId',
      'over-length',
      { profileId: 'p'.repeat(201) },
      'data.profileId: Too big: expected string to have <=200 characters',
    ],
    ['username', 'U+0000 (NUL)', { username: 'alice\u0000' }, 'data.username: must not contain control characters'],
    ['username', 'U+0007 (BEL)', { username: 'alice\u0007' }, 'data.username: must not contain control characters'],
    ['username', 'U+D800 (a lone surrogate)', { username: 'alice\uD800' }, 'data.username: must not contain unpaired surrogates'],
    ['username', 'over-length', { username: 'a'.repeat(31) }, 'data.username: must be 1-30 letters'],
  ])('answers 400 for a validly signed body whose %s has %s, with no effects', async (_field, _what, over, message) => {
    const t = setup();
    const res = await t.send(signWebhook(SECRET, webhookBody(over)));
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(errorOf(res).message).toContain(`The webhook body has an unknown shape: ${message}`);
    expect(t.idempotency.calls).toEqual([]);
    expect(t.invalidator.calls).toEqual([]);
    expect(t.publisher.published).toEqual([]);
  });

  it('checks the signature before the payload: a NUL with a bad signature is a 401', async () => {
    const t = setup();
    const res = await t.send(signWebhook(newWebhookSecret(), webhookBody({ profileId: 'prof\u0000' })));
    expect(res.statusCode).toBe(401);
  });

  it('a refused request claims, invalidates and enqueues nothing', async () => {
    const t = setup();
    const good = signWebhook(SECRET, webhookBody({ username: 'alice' }));
    await t.call({ headers: { ...good.headers, 'webhook-signature': 'v1,AAAA' }, body: good.body });
    await t.send(signWebhook(SECRET, '{"type":1}', { id: good.id }));
    await t.call({ headers: good.headers, body: 'x'.repeat(MAX_WEBHOOK_BYTES + 1) });
    expect(t.idempotency.calls).toEqual([]);
    expect(t.invalidator.calls).toEqual([]);
    expect(t.publisher.published).toEqual([]);
    // ... and the id is not marked: the genuine delivery still goes through.
    expect((await t.send(good)).statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
  });
});

describe('webhook handler: idempotency and effects', () => {
  it('a replay answers 2xx without a second enqueue or invalidation', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody({ username: 'alice' }));
    expect((await t.send(w)).statusCode).toBe(200);
    const replay = await t.send(w);
    expect(replay.statusCode).toBe(200);
    expect(JSON.parse(replay.body as string)).toMatchObject({ duplicate: true });
    expect(t.publisher.published).toHaveLength(1);
    expect(t.invalidator.calls).toHaveLength(1);
  });

  it('a failed enqueue answers 503 and does not mark the id; the retry succeeds', async () => {
    const t = setup();
    t.publisher.failures = 1;
    const w = signWebhook(SECRET, webhookBody({ username: 'alice' }));
    const res = await t.send(w);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(t.idempotency.records.has(idempotencyKey(w.id))).toBe(false);
    expect((await t.send(w)).statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
  });

  it('answers 503 and enqueues nothing when invalidation cannot be guaranteed (Redis down)', async () => {
    const t = setup();
    t.invalidator.fail = true;
    const w = signWebhook(SECRET, webhookBody({ username: 'alice' }));
    const res = await t.send(w);
    expect(res.statusCode).toBe(503);
    expect(errorOf(res).code).toBe('SERVICE_UNAVAILABLE');
    expect(t.publisher.published).toEqual([]);
    expect(t.idempotency.records.size).toBe(0);
  });

  it('answers 409 with Retry-After while the same id is being processed', async () => {
    const t = setup();
    const w = signWebhook(SECRET, webhookBody());
    await t.idempotency.claim(idempotencyKey(w.id), 10_000);
    const res = await t.send(w);
    expect(res.statusCode).toBe(409);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.publisher.published).toEqual([]);
  });

  it.each(['profile.updated', 'links.updated', 'profile.deleted'])('%s invalidates via the profileId mapping', async (type) => {
    const t = setup();
    t.invalidator.mapping.set('prof_9', 'carol');
    await t.send(signWebhook(SECRET, webhookBody({ type, profileId: 'prof_9' })));
    expect(t.invalidator.calls).toEqual([{ profileId: 'prof_9', username: undefined }]);
    expect(t.publisher.published[0].data.username).toBe('carol');
  });

  it('other event types are enqueued without invalidation', async () => {
    const t = setup();
    const res = await t.send(signWebhook(SECRET, webhookBody({ type: 'account.created', profileId: 'prof_2' })));
    expect(res.statusCode).toBe(200);
    expect(t.invalidator.calls).toEqual([]);
    expect(t.publisher.published.map((e) => e.type)).toEqual(['account.created']);
  });

  it('a profile never cached still has its event enqueued', async () => {
    const t = setup();
    const res = await t.send(signWebhook(SECRET, webhookBody({ profileId: 'prof_unknown' })));
    expect(res.statusCode).toBe(200);
    expect(t.publisher.published).toHaveLength(1);
    expect(t.publisher.published[0].data.username).toBeUndefined();
  });
});

describe('webhook handler over the SQS and DynamoDB adapters (aws-sdk-client-mock)', () => {
  const sqs = mockClient(SQSClient);
  const ddb = mockClient(DynamoDBClient);
  beforeEach(() => {
    sqs.reset();
    ddb.reset();
  });

  const build = () => {
    const noSleep = { now: () => Date.now(), sleep: async () => {}, random: () => 0 };
    const handler = makeHandler({
      secret: async () => SECRET,
      idempotency: new DynamoIdempotencyStore({ client: new DynamoDBClient({ region: 'us-east-1' }), table: 'idem' }),
      publisher: new SqsEventPublisher({
        client: new SQSClient({ region: 'us-east-1' }),
        queueUrl: 'https://sqs.test/q',
        clock: noSleep,
      }),
      invalidator: new FakeInvalidator(),
    });
    return (w: SignedWebhook) =>
      handler(
        apiEvent({ method: 'POST', route: '/webhooks/linktree', headers: w.headers, body: w.body }),
        lambdaContext(),
      ) as Promise<HttpResult>;
  };

  it('claims with a conditional put, sends once with the type attribute, then completes', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const w = signWebhook(SECRET, webhookBody({ type: 'links.updated', username: 'dave' }));
    expect((await build()(w)).statusCode).toBe(200);
    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    expect(put.Item?.id.S).toBe(idempotencyKey(w.id));
    expect(put.Item?.status.S).toBe('INPROGRESS');
    expect(put.ConditionExpression).toContain('attribute_not_exists(id)');
    const sent = sqs.commandCalls(SendMessageCommand);
    expect(sent).toHaveLength(1);
    expect(sent[0].args[0].input.MessageAttributes?.type).toEqual({ DataType: 'String', StringValue: 'links.updated' });
    expect(JSON.parse(sent[0].args[0].input.MessageBody as string).id).toBe(eventIdFor(w.id));
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input.ExpressionAttributeValues?.[':completed'].S).toBe('COMPLETED');
    expect(ddb.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('a replay (completed record) sends nothing', async () => {
    const err = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
      Item: { id: { S: 'x' }, status: { S: 'COMPLETED' } },
    });
    ddb.on(PutItemCommand).rejects(err);
    const res = await build()(signWebhook(SECRET, webhookBody()));
    expect(res.statusCode).toBe(200);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('reads the record when the endpoint does not return it with the failure', async () => {
    ddb.on(PutItemCommand).rejects(Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetItemCommand).resolves({ Item: { id: { S: 'x' }, status: { S: 'COMPLETED' } } });
    expect((await build()(signWebhook(SECRET, webhookBody()))).statusCode).toBe(200);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input.ConsistentRead).toBe(true);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('a refused send releases the claim (conditional delete with its token) and answers 503', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(DeleteItemCommand).resolves({});
    sqs
      .on(SendMessageCommand)
      .rejects(
        Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
      );
    const w = signWebhook(SECRET, webhookBody());
    const res = await build()(w);
    expect(res.statusCode).toBe(503);
    const put = ddb.commandCalls(PutItemCommand)[0].args[0].input;
    const del = ddb.commandCalls(DeleteItemCommand)[0].args[0].input;
    expect(del.Key?.id.S).toBe(idempotencyKey(w.id));
    expect(del.ExpressionAttributeValues?.[':token'].S).toBe(put.Item?.token.S);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('retries a transient send error and succeeds', async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    sqs
      .on(SendMessageCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .resolves({ MessageId: 'm1' });
    expect((await build()(signWebhook(SECRET, webhookBody()))).statusCode).toBe(200);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(2);
  });

  it('answers 503 when the idempotency table is unreachable, sending nothing', async () => {
    ddb.on(PutItemCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error' }));
    const res = await build()(signWebhook(SECRET, webhookBody()));
    expect(res.statusCode).toBe(503);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});
