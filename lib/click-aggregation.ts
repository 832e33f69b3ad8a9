// Events → 10-second aggregates in Postgres: the batch consumer on the events queue, and the
// migrate function a deploy-time Trigger runs so the schema is current before new code goes live.

import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { type FunctionDefaults, ServiceFunction, type FunctionEnv } from './constructs/service-function.ts';
import { assertVisibilityTimeout } from './event-queues.ts';

export interface ClickAggregationProps {
  defaults: FunctionDefaults;
  subnets: ec2.SubnetSelection;
  databaseEnv: FunctionEnv;
  databaseSecret: secretsmanager.ISecret;
  eventsQueue: sqs.IQueue;
  /** The events queue's visibility timeout, checked against the consumer timeout. */
  queueVisibilityTimeout: Duration;
  batchSize: number;
  batchWindowS: number;
  consumerTimeoutS: number;
  /** Cap on concurrent consumer invocations (protects Postgres); 0 = uncapped. */
  consumerConcurrency: number;
  /** Constructs the migration must run after (the database and its proxy). */
  migrateAfter: Construct[];
}

export class ClickAggregation extends Construct {
  readonly consumer: ServiceFunction;
  readonly migrate: ServiceFunction;
  readonly trigger: triggers.Trigger;

  constructor(scope: Construct, id: string, props: ClickAggregationProps) {
    super(scope, id);
    const consumerTimeout = Duration.seconds(props.consumerTimeoutS);
    assertVisibilityTimeout(props.queueVisibilityTimeout, consumerTimeout);
    const cap = props.consumerConcurrency > 0 ? props.consumerConcurrency : undefined;

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
      environment: { ...props.databaseEnv, BATCH_WINDOW_S: props.batchWindowS },
      secrets: { DATABASE: props.databaseSecret },
    });
    this.consumer.fn.addEventSource(
      new SqsEventSource(props.eventsQueue, {
        batchSize: props.batchSize,
        maxBatchingWindow: Duration.seconds(props.batchWindowS),
        reportBatchItemFailures: true,
        maxConcurrency: cap,
      }),
    );

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
      executeBefore: [this.consumer],
    });
  }
}
