// Outgoing webhooks in the dev stage as `cdk synth` builds it: the two tables, the delivery queue
// and DLQ, the deliver function outside the VPC, least-privilege grants, and the alarms.
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DELIVER_TIMEOUT, DELIVERY_MAX_RECEIVES } from '../../lib/outgoing-webhooks.ts';
import { type Synthesized, synth } from './fixture.ts';
import { actionsOf, fnByName, resources, roleOf, statementsOf } from './helpers.ts';

let s: Synthesized;
beforeAll(() => {
  s = synth({ stage: 'dev' });
}, 120_000);

const endpointsId = () => s.stateful.getLogicalId(s.stateful.webhookTables.endpoints.node.defaultChild as CfnElement);
const deliveriesId = () => s.stateful.getLogicalId(s.stateful.webhookTables.deliveries.node.defaultChild as CfnElement);
const id = (c: { node: { defaultChild?: unknown } }) => s.service.getLogicalId(c.node.defaultChild as CfnElement);

/** The actions a function's role has on resources whose JSON mentions `needle`. */
const actionsOn = (fn: string, needle: string): string[] =>
  statementsOf(s.serviceTemplate, roleOf(fnByName(s.serviceTemplate, fn)[1]))
    .filter((st) => JSON.stringify(st.Resource).includes(needle))
    .flatMap(actionsOf)
    .sort();

describe('the webhook tables (stateful stack)', () => {
  it('endpoints by id, deliveries by (pk, sk) with a TTL; both on demand, encrypted, with PITR', () => {
    s.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    s.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });
});

describe('the delivery queue and the deliver function', () => {
  it('an SSE queue with a DLQ after a few receives, visibility 6 × the deliver timeout', () => {
    const [, q] =
      resources(s.serviceTemplate, 'AWS::SQS::Queue').find(([qid]) => qid === id(s.service.outgoingWebhooks.queue)) ?? [];
    expect(q?.Properties.SqsManagedSseEnabled).toBe(true);
    expect(q?.Properties.VisibilityTimeout).toBe(6 * DELIVER_TIMEOUT.toSeconds());
    expect(q?.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: DELIVERY_MAX_RECEIVES });
  });

  it('runs outside the VPC, with the tables and its queue named, and reports batch item failures', () => {
    const [fnId, fn] = fnByName(s.serviceTemplate, 'deliver');
    expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(fn.Properties.Timeout).toBe(DELIVER_TIMEOUT.toSeconds());
    const env = fn.Properties.Environment.Variables;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['WEBHOOK_ENDPOINTS_TABLE', 'WEBHOOK_DELIVERIES_TABLE', 'DELIVERY_QUEUE_URL']),
    );
    s.serviceTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [id(s.service.outgoingWebhooks.queue), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });
});

describe('grants (least privilege)', () => {
  it('deliver: reads and disables endpoints, writes the log and claims, nothing else on the tables', () => {
    expect(actionsOn('deliver', endpointsId())).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actionsOn('deliver', deliveriesId())).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
  });

  it('admin: creates, lists, reads and tombstones endpoints; queries the log', () => {
    expect(actionsOn('admin', endpointsId())).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    expect(actionsOn('admin', deliveriesId())).toEqual(['dynamodb:Query']);
  });

  it('consumer: scans endpoints and sends to the delivery queue; no log access', () => {
    expect(actionsOn('consumer', endpointsId())).toEqual(['dynamodb:Scan']);
    const scan = statementsOf(s.serviceTemplate, roleOf(fnByName(s.serviceTemplate, 'consumer')[1])).find((st) =>
      JSON.stringify(st.Resource).includes(endpointsId()),
    ) as unknown as { Condition: Record<string, Record<string, unknown>> };
    // Never the secrets: only the listed attributes, by projection.
    expect(scan.Condition['ForAllValues:StringEquals']?.['dynamodb:Attributes']).not.toContain('secret');
    expect(scan.Condition.StringEqualsIfExists?.['dynamodb:Select']).toBe('SPECIFIC_ATTRIBUTES');
    expect(actionsOn('consumer', deliveriesId())).toEqual([]);
    expect(actionsOn('consumer', id(s.service.outgoingWebhooks.queue))).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    const env = fnByName(s.serviceTemplate, 'consumer')[1].Properties.Environment.Variables;
    expect(env.DELIVERY_QUEUE_URL).toBeDefined();
    expect(env.WEBHOOK_DELIVERIES_TABLE).toBeUndefined();
  });

  it('no other function can read the endpoints (their secrets) or the log', () => {
    for (const other of ['profile', 'site', 'track', 'webhook', 'migrate']) {
      expect({ other, a: actionsOn(other, endpointsId()) }).toEqual({ other, a: [] });
      expect({ other, a: actionsOn(other, deliveriesId()) }).toEqual({ other, a: [] });
    }
  });
});

describe('alarms', () => {
  const topic = () => ({ Ref: s.service.getLogicalId(s.service.observability.topic.node.defaultChild as CfnElement) });
  it('on any message in the delivery DLQ', () => {
    s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(s.service.outgoingWebhooks.dlq), 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [topic()],
    });
  });
  it('on disabled endpoints and on failing deliveries', () => {
    for (const metric of ['WebhookEndpointsDisabled', 'WebhookDeliveriesFailed']) {
      s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: metric }) }) }),
        ]),
        AlarmActions: [topic()],
      });
    }
  });
});
