// Outgoing webhooks' process-wide dependencies, shared by the admin (endpoint routes), consumer
// (fan-out) and deliver functions: the endpoints table, the delivery log, the delivery queue and
// the SSRF-safe sender, each built on first use. Unconfigured (no table or queue name), each is
// undefined and its users say so (503 on the routes; no fan-out in the consumer).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClientConfig } from '../adapters/aws-client.ts';
import { DynamoDeliveryLog } from '../adapters/dynamo-webhook-deliveries.ts';
import { DynamoEndpointStore } from '../adapters/dynamo-webhook-endpoints.ts';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue.ts';
import { checkUrl, HttpWebhookSender, type UrlPolicy } from '../adapters/webhook-sender.ts';
import type { WebhookEndpointsDeps } from '../admin/webhook-endpoints.ts';
import { config } from '../config/config.ts';
import { parseSchedule } from '../core/outgoing-webhooks.ts';
import type { FanOutDeps } from '../core/webhook-fanout.ts';
import { sqsClient } from './queue.ts';

let dynamo: DynamoDBClient | undefined;
let endpoints: DynamoEndpointStore | undefined;
let deliveries: DynamoDeliveryLog | undefined;
let queue: SqsDeliveryQueue | undefined;

const dynamoClient = (): DynamoDBClient => {
  dynamo ??= new DynamoDBClient({
    ...awsClientConfig('DYNAMODB', config()),
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  });
  return dynamo;
};

export const urlPolicy = (): UrlPolicy => ({ local: config().LOCAL_STACK });

export const endpointStore = (): DynamoEndpointStore | undefined => {
  const table = config().WEBHOOK_ENDPOINTS_TABLE;
  if (!table) return undefined;
  endpoints ??= new DynamoEndpointStore({ client: dynamoClient(), table });
  return endpoints;
};

export const deliveryLog = (): DynamoDeliveryLog | undefined => {
  const c = config();
  if (!c.WEBHOOK_DELIVERIES_TABLE) return undefined;
  deliveries ??= new DynamoDeliveryLog({
    client: dynamoClient(),
    table: c.WEBHOOK_DELIVERIES_TABLE,
    ttlS: c.WEBHOOK_DELIVERY_RETENTION_D * 86_400,
  });
  return deliveries;
};

export const deliveryQueue = (): SqsDeliveryQueue | undefined => {
  const url = config().DELIVERY_QUEUE_URL;
  if (!url) return undefined;
  queue ??= new SqsDeliveryQueue({ client: sqsClient(), queueUrl: url });
  return queue;
};

export const webhookSender = (): HttpWebhookSender =>
  new HttpWebhookSender({ policy: urlPolicy(), timeoutMs: config().WEBHOOK_TIMEOUT_MS });

export const retrySchedule = (): number[] => parseSchedule(config().WEBHOOK_RETRY_S);

/** The admin routes' part. */
export const webhookEndpointsDeps = (): WebhookEndpointsDeps => ({
  endpoints: endpointStore,
  deliveries: deliveryLog,
  checkUrl: (url) => checkUrl(url, urlPolicy()),
});

/** The consumer's fan-out, when both the endpoints table and the delivery queue are configured. */
export const fanOutDeps = (): FanOutDeps | undefined => {
  const store = endpointStore();
  const q = deliveryQueue();
  return store && q ? { endpoints: store, queue: q } : undefined;
};
