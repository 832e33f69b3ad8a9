// The Standard Webhooks target: verifies the signature (WEBHOOK_SECRET), dedupes by webhook-id
// (DynamoDB idempotency table), invalidates the profile's keys in Valkey and enqueues the event.

import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type FunctionDefaults, ServiceFunction, type FunctionEnv } from './constructs/service-function.ts';
import { IDEMPOTENCY_ACTIONS } from './profile-api.ts';

export interface WebhookIngestionProps {
  defaults: FunctionDefaults;
  subnets: ec2.SubnetSelection;
  cacheEnv: FunctionEnv;
  webhookSecret: secretsmanager.ISecret;
  idempotencyTable: dynamodb.ITable;
  eventsQueue: sqs.IQueue;
}

export class WebhookIngestion extends Construct {
  readonly webhook: ServiceFunction;

  constructor(scope: Construct, id: string, props: WebhookIngestionProps) {
    super(scope, id);
    this.webhook = new ServiceFunction(this, 'Webhook', {
      ...props.defaults,
      vpcSubnets: props.subnets,
      name: 'webhook',
      description: 'Standard Webhooks target: verify, dedupe, invalidate, enqueue',
      timeout: Duration.seconds(10),
      environment: {
        ...props.cacheEnv,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        IDEMPOTENCY_TABLE: props.idempotencyTable.tableName,
      },
      secrets: { WEBHOOK_SECRET: props.webhookSecret },
    });
    this.webhook.fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: IDEMPOTENCY_ACTIONS, resources: [props.idempotencyTable.tableArn] }),
    );
    props.eventsQueue.grantSendMessages(this.webhook.fn);
  }
}
