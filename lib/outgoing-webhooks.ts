// Outgoing webhooks (docs/webhooks-out.md):
//   WebhookTables (stateful stack)  the endpoints table (with each endpoint's signing secret) and
//                                   the delivery log (TTL `expiration`), encrypted, on demand, PITR;
//   OutgoingWebhooks (service)      the delivery queue + DLQ, the deliver function consuming it,
//                                   the grants and environment of the admin and consumer functions,
//                                   and alarms on the DLQ and on failing or disabled deliveries.
//
// The deliver function runs outside the VPC: all it calls is DynamoDB and SQS (public AWS
// endpoints) and the receivers on the internet, so it needs no NAT for egress, and a private
// address inside our VPC (Redis, Aurora, the endpoints) is not even routable from it — a second
// wall behind the sender's own SSRF checks. It holds no secret but the endpoints' (read from its
// table) and reaches nothing of ours but these two tables and its queue.
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MetricNames } from '../lambdas/contracts/metrics.ts';
import { LISTED_ATTRIBUTES } from '../lambdas/core/outgoing-webhooks.ts';
import { ServiceFunction } from './constructs/service-function.ts';
import { sumOverServices } from './observability.ts';

export class WebhookTables extends Construct {
  readonly endpoints: dynamodb.Table;
  readonly deliveries: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encrypted at rest; the signing secrets in it are readable only by the roles granted below.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
    };
    this.endpoints = new dynamodb.Table(this, 'Endpoints', {
      ...common,
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      // Deleted endpoints are tombstones (secret removed) that the TTL drops after a week.
      timeToLiveAttribute: 'expiration',
    });
    this.deliveries = new dynamodb.Table(this, 'Deliveries', {
      ...common,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
    });
  }
}

export interface OutgoingWebhooksProps {
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
  tables: WebhookTables;
  /** Creates, lists and deletes endpoints; reads the delivery log. */
  admin: ServiceFunction;
  /** Fans change events out: reads endpoints, sends jobs. */
  consumer: ServiceFunction;
  /** `WEBHOOK_RETRY_S`; left out, the schema's default. */
  retryScheduleS?: string;
}

/** One attempt at most WEBHOOK_TIMEOUT_MS (10 s) plus its store calls; a batch's attempts run concurrently. */
export const DELIVER_TIMEOUT = Duration.seconds(60);
/** Receives of one message before the DLQ: each attempt is a message of its own, so these count only our failures. */
export const DELIVERY_MAX_RECEIVES = 5;

export class OutgoingWebhooks extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  readonly deliver: ServiceFunction;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OutgoingWebhooksProps) {
    super(scope, id);
    const { tables } = props;
    this.dlq = new sqs.Queue(this, 'DeliveryDlq', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Deliveries', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's rule: at least 6 × the function timeout.
      visibilityTimeout: Duration.seconds(6 * DELIVER_TIMEOUT.toSeconds()),
      // Longer than any one hop (≤ 900 s delay) by far; a job re-sends itself until its notBefore.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: DELIVERY_MAX_RECEIVES },
      removalPolicy: props.removalPolicy,
    });

    const tableEnv = {
      WEBHOOK_ENDPOINTS_TABLE: tables.endpoints.tableName,
      WEBHOOK_DELIVERIES_TABLE: tables.deliveries.tableName,
    } as const;
    this.deliver = new ServiceFunction(this, 'Deliver', {
      name: 'deliver',
      description: 'Delivers outgoing webhooks (signed, retried, SSRF-checked)',
      logRetentionDays: props.logRetentionDays,
      removalPolicy: props.removalPolicy,
      timeout: DELIVER_TIMEOUT,
      memorySize: 256,
      environment: {
        ...tableEnv,
        DELIVERY_QUEUE_URL: this.queue.queueUrl,
        ...(props.retryScheduleS ? { WEBHOOK_RETRY_S: props.retryScheduleS } : {}),
      },
    });
    // Reads endpoints (and their secrets, to sign) and disables them in place; writes the log and claims.
    tables.endpoints.grant(this.deliver.fn, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    // Claims are freed by deleting them (a failed step's redelivery takes the attempt again).
    tables.deliveries.grant(
      this.deliver.fn,
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
    );
    // Its next attempts go back on its own queue.
    this.queue.grantSendMessages(this.deliver.fn);
    this.deliver.fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 20 }),
    );

    // The admin routes: create (PutItem), list (Scan), get, delete (a tombstone: UpdateItem)
    // endpoints; read the log. A policy of its own, so these rights stay apart from the role's
    // others (IAM statement merging would otherwise fold equal action sets on other tables in).
    for (const [k, v] of Object.entries(tableEnv)) props.admin.fn.addEnvironment(k, v);
    this.rights('AdminRights', props.admin, [
      {
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
        resources: [tables.endpoints.tableArn],
      },
      { actions: ['dynamodb:Query'], resources: [tables.deliveries.tableArn] },
    ]);

    // The consumer's fan-out: the endpoint list, and jobs onto the delivery queue.
    props.consumer.fn.addEnvironment('WEBHOOK_ENDPOINTS_TABLE', tables.endpoints.tableName);
    props.consumer.fn.addEnvironment('DELIVERY_QUEUE_URL', this.queue.queueUrl);
    this.rights('ConsumerRights', props.consumer, [
      // Scanning the listed attributes only: never the signing secrets.
      {
        actions: ['dynamodb:Scan'],
        resources: [tables.endpoints.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...LISTED_ATTRIBUTES] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      },
      { actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], resources: [this.queue.queueArn] },
    ]);
  }

  private rights(
    id: string,
    fn: ServiceFunction,
    statements: { actions: string[]; resources: string[]; conditions?: Record<string, unknown> }[],
  ): void {
    new iam.Policy(this, id, {
      roles: [fn.fn.role as iam.IRole],
      statements: statements.map((st) => new iam.PolicyStatement(st)),
    });
  }

  /** Alarms to the stage's topic: jobs in the DLQ, endpoints disabled, deliveries failing in bulk. */
  addAlarms(topic: sns.ITopic): void {
    const action = new actions.SnsAction(topic);
    const alarm = (id: string, p: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...p });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    alarm('DeliveryDlqMessages', {
      alarmDescription:
        'Outgoing webhook jobs failed maxReceiveCount times on our side (a table or the queue failing) and sit in the delivery DLQ.',
      metric: this.dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('WebhookEndpointsDisabled', {
      alarmDescription: 'An outgoing webhook endpoint was disabled (410, its retry schedule exhausted, or failing for days).',
      metric: sumOverServices(MetricNames.WebhookEndpointsDisabled),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('WebhookDeliveriesFailing', {
      alarmDescription: 'Many outgoing webhook attempts are failing (receivers down, or our egress broken).',
      metric: sumOverServices(MetricNames.WebhookDeliveriesFailed, Duration.minutes(15)),
      threshold: 50,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
