// Events → analytics in Postgres: the batch consumer on the events queue (10-second rows), the
// rollup function EventBridge Scheduler runs every minute (hours, days and months summed from
// them, exactly once: lambdas/rollup/handler.ts), and the migrate function a deploy-time Trigger
// runs so the schema is current before new code goes live.
//   - The rollup: reserved concurrency 1 (runs would only queue on the job's advisory lock), no
//     retries and a short event age (the next minute's run takes what one missed), 5 minutes a
//     run loop; the consumers leave the job to it (ANALYTICS_ROLLUP_S 0).

import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { type FunctionDefaults, ServiceFunction, type FunctionEnv } from './constructs/service-function.ts';
import { variables } from '../lambdas/config/variables.ts';
import { patienceS } from '../lambdas/core/outage.ts';
import { assertVisibilityTimeout } from './event-queues.ts';

export interface ClickAggregationProps {
  defaults: FunctionDefaults;
  subnets: ec2.SubnetSelection;
  databaseEnv: FunctionEnv;
  databaseSecret: secretsmanager.ISecret;
  eventsQueue: sqs.IQueue;
  /** The events DLQ: the consumer moves it back once the database answers again. */
  dlq: sqs.IQueue;
  /** Receives before SQS dead-letters an event: with the consumer's backoff, its patience. */
  maxReceiveCount: number;
  /** The events queue's visibility timeout, checked against the consumer timeout. */
  queueVisibilityTimeout: Duration;
  batchSize: number;
  batchWindowS: number;
  consumerTimeoutS: number;
  /** Cap on concurrent consumer invocations (protects Postgres); 0 = uncapped. */
  consumerConcurrency: number;
  /** Constructs the migration must run after (the database and its proxy). */
  migrateAfter: Construct[];
  /** With CloudFront in front: the topic the consumer announces changed profiles on (publish only). */
  cdnInvalidationTopic?: sns.ITopic;
}

export class ClickAggregation extends Construct {
  readonly consumer: ServiceFunction;
  readonly migrate: ServiceFunction;
  readonly rollup: ServiceFunction;
  readonly rollupSchedule: scheduler.Schedule;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: ClickAggregationProps) {
    super(scope, id);
    const consumerTimeout = Duration.seconds(props.consumerTimeoutS);
    assertVisibilityTimeout(props.queueVisibilityTimeout, consumerTimeout);
    const cap = props.consumerConcurrency > 0 ? props.consumerConcurrency : undefined;
    // While the database is down, each failed receive hides the event for longer; this many
    // receives must outlast a 6-hour outage, so no event reaches the DLQ during one.
    const patience = patienceS(
      props.maxReceiveCount,
      variables.CONSUMER_BACKOFF_BASE_S.default,
      variables.CONSUMER_BACKOFF_CAP_S.default,
    );
    if (patience < 6 * 3_600) {
      throw new Error(
        `maxReceiveCount ${props.maxReceiveCount} dead-letters events after ${Math.round(patience / 60)} min of database outage; at least 6 h is promised (maxReceiveCount ≥ 7)`,
      );
    }

    this.consumer = new ServiceFunction(this, 'Consumer', {
      ...props.defaults,
      vpcSubnets: props.subnets,
      name: 'consumer',
      description: 'Folds click and view events into 10-second aggregates',
      timeout: consumerTimeout,
      memorySize: 1024,
      // Equal to the event source's maximum concurrency: the poller never exceeds it, so no
      // throttles (which would count as receives and push messages to the DLQ).
      reservedConcurrentExecutions: cap,
      environment: {
        ...props.databaseEnv,
        BATCH_WINDOW_S: props.batchWindowS,
        // The scheduled rollup function runs the job; a consumer's batches never wait for it.
        ANALYTICS_ROLLUP_S: 0,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        DLQ_URL: props.dlq.queueUrl,
        ...(props.cdnInvalidationTopic ? { CDN_INVALIDATION_TOPIC_ARN: props.cdnInvalidationTopic.topicArn } : {}),
      },
      secrets: { DATABASE: props.databaseSecret },
    });
    // Moving the DLQ back (a message move task, or receive → send → delete where that is
    // unavailable): read and delete on the DLQ, send to the events queue.
    props.dlq.grantConsumeMessages(this.consumer.fn);
    props.eventsQueue.grantSendMessages(this.consumer.fn);
    this.consumer.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks'],
        resources: [props.dlq.queueArn],
      }),
    );
    if (props.cdnInvalidationTopic) {
      // Publish only, on this topic only (its key is the AWS-managed one, usable through SNS).
      this.consumer.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.cdnInvalidationTopic.topicArn] }),
      );
    }
    this.consumer.fn.addEventSource(
      new SqsEventSource(props.eventsQueue, {
        batchSize: props.batchSize,
        maxBatchingWindow: Duration.seconds(props.batchWindowS),
        reportBatchItemFailures: true,
        maxConcurrency: cap,
      }),
    );

    this.rollup = new ServiceFunction(this, 'Rollup', {
      ...props.defaults,
      vpcSubnets: props.subnets,
      name: 'rollup',
      description: 'Sums the applied batches of closed hours into the hourly, daily and monthly analytics, exactly once',
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: 1,
      environment: props.databaseEnv,
      secrets: { DATABASE: props.databaseSecret },
    });
    const role = new iam.Role(this, 'RollupSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: invoke the analytics rollup',
    });
    const rollupArn = this.rollup.fn.functionArn;
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [rollupArn] }));
    this.rollupSchedule = new scheduler.Schedule(this, 'RollupSchedule', {
      description: 'Runs the analytics rollup every minute',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
      // A target of our own: aws-scheduler-targets' LambdaInvoke would grant every version and alias.
      target: {
        bind: () => ({ arn: rollupArn, role, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 } }),
      },
    });

    this.migrate = new ServiceFunction(this, 'Migrate', {
      ...props.defaults,
      vpcSubnets: props.subnets,
      name: 'migrate',
      description: 'Applies versioned SQL migrations at deploy time',
      timeout: Duration.minutes(5),
      // The runner reads lambdas/migrate/sql/*.sql from `sql/` next to the bundle.
      copyIntoBundle: { 'lambdas/migrate/sql': 'sql' },
      environment: props.databaseEnv,
      secrets: { DATABASE: props.databaseSecret },
    });
    this.trigger = new triggers.Trigger(this, 'MigrateOnDeploy', {
      handler: this.migrate.fn,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(5),
      executeOnHandlerChange: true,
      executeAfter: props.migrateAfter,
      executeBefore: [this.consumer, this.rollup],
    });
  }
}
