// Stateful resources (network, cache, database, queues, idempotency and API key tables, secrets) in their own
// stack: the service stack can be torn down and redeployed freely, this one is protected in prod.

import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiKeysTable } from './api-keys-table.ts';
import { AppSecrets } from './app-secrets.ts';
import { Cache } from './cache.ts';
import { Database } from './database.ts';
import { EventQueues } from './event-queues.ts';
import { IdempotencyTable } from './idempotency-table.ts';
import { SaltsTable } from './salts-table.ts';
import { Network } from './network.ts';
import { WebhookTables } from './outgoing-webhooks.ts';
import type { ResolvedStage } from './stage-config.ts';

export interface StatefulStackProps extends StackProps {
  config: ResolvedStage;
}

export class StatefulStack extends Stack {
  readonly network: Network;
  readonly cache: Cache;
  readonly database: Database;
  readonly queues: EventQueues;
  readonly idempotency: IdempotencyTable;
  readonly apiKeys: ApiKeysTable;
  /** Outgoing webhooks: endpoints (with their signing secrets) and the delivery log. */
  readonly webhookTables: WebhookTables;
  readonly salts: SaltsTable;
  readonly secrets: AppSecrets;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { config } = props;
    super(scope, id, { ...props, terminationProtection: config.isProd });
    const removalPolicy = config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.network = new Network(this, 'Network', {
      natGateways: config.natGateways,
      originUrl: config.originUrl,
      logRetentionDays: config.logRetentionDays,
      removalPolicy,
    });
    this.cache = new Cache(this, 'Cache', {
      mode: config.cacheMode,
      vpc: this.network.vpc,
      subnets: this.network.isolatedSubnets,
      securityGroup: this.network.cacheSg,
      maxDataGb: config.cacheMaxDataGb,
      maxEcpuPerSecond: config.cacheMaxEcpuPerSecond,
      nodeType: config.cacheNodeType,
      shards: config.cacheShards,
      replicasPerShard: config.cacheReplicasPerShard,
      snapshotRetentionDays: config.isProd ? 7 : 1,
      removalPolicy,
    });
    this.database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      subnets: this.network.isolatedSubnets,
      databaseSg: this.network.databaseSg,
      proxySg: this.network.proxySg,
      minAcu: config.minAcu,
      maxAcu: config.maxAcu,
      backupRetentionDays: config.backupRetentionDays,
      isProd: config.isProd,
    });
    this.queues = new EventQueues(this, 'Queues', {
      maxReceiveCount: config.maxReceiveCount,
      consumerTimeout: Duration.seconds(config.consumerTimeoutS),
      batchWindow: Duration.seconds(config.batchWindowS),
      removalPolicy,
    });
    this.idempotency = new IdempotencyTable(this, 'Idempotency', { removalPolicy });
    this.apiKeys = new ApiKeysTable(this, 'ApiKeys', { removalPolicy });
    this.webhookTables = new WebhookTables(this, 'WebhookTables', { removalPolicy });
    this.salts = new SaltsTable(this, 'Salts');
    this.secrets = new AppSecrets(this, 'Secrets', { removalPolicy, logRetentionDays: config.logRetentionDays });
  }
}
