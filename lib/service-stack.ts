// Stateless resources: the Lambda functions, the HTTP API built from lambdas/contracts/routes.ts, the
// event source, the deploy-time migration, alarms and the dashboard.

import { CfnOutput, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type FunctionName, routes as routeTable, type Route } from '../lambdas/contracts/routes.ts';
import { CdnInvalidationTopic } from './cdn-invalidation.ts';
import { ChangeWatcher, stageWatchIntervalS } from './change-watcher.ts';
import { ClickAggregation } from './click-aggregation.ts';
import type { FunctionDefaults, FunctionEnv, ServiceFunction } from './constructs/service-function.ts';
import { HttpApiGateway } from './http-api.ts';
import { LinktreeMcpTokens } from './linktree-mcp-tokens.ts';
import { Observability } from './observability.ts';
import { OutgoingWebhooks } from './outgoing-webhooks.ts';
import { ProfileApi } from './profile-api.ts';
import type { ResolvedStage } from './stage-config.ts';
import type { StatefulStack } from './stateful-stack.ts';
import { WebhookIngestion } from './webhook-ingestion.ts';

export interface ServiceStackProps extends StackProps {
  config: ResolvedStage;
  stateful: StatefulStack;
  /** Defaults to the table in lambdas/contracts/routes.ts; tests pass their own. */
  routes?: readonly Route[];
}

export class ServiceStack extends Stack {
  readonly api: HttpApiGateway;
  readonly profileApi: ProfileApi;
  readonly webhooks: WebhookIngestion;
  readonly aggregation: ClickAggregation;
  readonly observability: Observability;
  readonly outgoingWebhooks: OutgoingWebhooks;
  /** With `cdn`: the topic the consumer announces changed profiles on, for the edge stack's invalidator. */
  readonly cdnInvalidations?: CdnInvalidationTopic;
  /** Where the stage's watch interval is above 0: the change watcher's schedule and function. */
  readonly changeWatcher?: ChangeWatcher;
  /** With origin `linktree-mcp`: the secret holding the MCP OAuth tokens. */
  readonly linktreeTokens?: LinktreeMcpTokens;
  /** Every function of the app, by name. */
  readonly functions: Record<FunctionName | 'consumer' | 'migrate' | 'rollup' | 'deliver', ServiceFunction> & {
    watcher?: ServiceFunction;
  };

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const { network, cache, database, queues, idempotency, secrets } = stateful;

    const defaults: FunctionDefaults = {
      vpc: network.vpc,
      securityGroup: network.lambdaSg,
      logRetentionDays: config.logRetentionDays,
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    const cacheEnv: FunctionEnv = {
      REDIS_URL: cache.redisUrl,
      REDIS_CLUSTER: true,
      REDIS_READ_REPLICAS: true,
      PROFILE_TTL_S: config.profileTtlS,
      LINKS_TTL_S: config.linksTtlS,
      ANALYTICS_TTL_S: config.analyticsTtlS,
      L1_TTL_S: config.l1TtlS,
    };
    const watchIntervalS = stageWatchIntervalS(config);
    // Linktree's MCP server: its OAuth tokens live in a secret the read-path functions rotate.
    if (config.origin === 'linktree-mcp') {
      this.linktreeTokens = new LinktreeMcpTokens(this, 'LinktreeMcpTokens', { removalPolicy: defaults.removalPolicy });
    }
    const originEnv: FunctionEnv = {
      ORIGIN_URL: config.originUrl,
      ORIGIN_RATE_PER_MIN: config.originRatePerMin,
      ORIGIN: config.origin as NonNullable<FunctionEnv['ORIGIN']>,
      // Public pages need no secret: the base URL and a User-Agent naming us are all.
      ...(config.origin === 'linktree'
        ? {
            LINKTREE_BASE_URL: config.linktreeBaseUrl,
            ...(config.linktreeUserAgent ? { LINKTREE_USER_AGENT: config.linktreeUserAgent } : {}),
          }
        : {}),
      // While the watcher is on, the read path records reads into its hot set (in Redis).
      WATCH_INTERVAL_S: watchIntervalS,
      WATCH_HOT_S: config.watchHotS,
      // The secret's ARN (not its value): the functions read and write it with the AWS SDK.
      ...(this.linktreeTokens
        ? {
            LINKTREE_MCP_TOKENS: this.linktreeTokens.secret.secretArn,
            ...(config.linktreeUserAgent ? { LINKTREE_USER_AGENT: config.linktreeUserAgent } : {}),
          }
        : {}),
      // The read-path functions answer the CORS routes (profile, links, oEmbed, OpenAPI, beacons).
      CORS_ORIGINS: config.corsOrigins,
      FRAME_ANCESTORS: config.frameAncestors,
      // The functions that read the origin are the ones that render pages (profile, site).
      ...(config.publicBaseUrl ? { PUBLIC_BASE_URL: config.publicBaseUrl } : {}),
    };

    this.profileApi = new ProfileApi(this, 'ProfileApi', {
      defaults,
      egressSubnets: network.egressSubnets,
      cacheEnv,
      originEnv,
      databaseEnv: database.connectionEnv,
      originApiKey: secrets.originApiKey,
      adminToken: secrets.adminToken,
      databaseSecret: database.secret,
      eventsQueue: queues.queue,
      apiKeysTable: stateful.apiKeys.table,
      salts: stateful.salts,
    });
    for (const f of [this.profileApi.profile, this.profileApi.site, this.profileApi.track, this.profileApi.admin]) {
      this.linktreeTokens?.grantReadWrite(f.fn);
    }
    this.webhooks = new WebhookIngestion(this, 'WebhookIngestion', {
      defaults,
      // Redis, DynamoDB (gateway endpoint), SQS and Secrets Manager (interface endpoints): no internet.
      subnets: network.isolatedSubnets,
      cacheEnv,
      webhookSecret: secrets.webhookSecret,
      idempotencyTable: idempotency.table,
      eventsQueue: queues.queue,
    });
    if (config.cdn) {
      this.cdnInvalidations = new CdnInvalidationTopic(this, 'CdnInvalidations', {
        stage: config.stage,
        vpc: network.vpc,
        subnets: network.isolatedSubnets,
        lambdaSg: network.lambdaSg,
      });
    }
    this.aggregation = new ClickAggregation(this, 'ClickAggregation', {
      defaults,
      subnets: network.isolatedSubnets,
      databaseEnv: database.connectionEnv,
      databaseSecret: database.secret,
      eventsQueue: queues.queue,
      dlq: queues.dlq,
      maxReceiveCount: config.maxReceiveCount,
      queueVisibilityTimeout: queues.visibilityTimeout,
      batchSize: config.batchSize,
      batchWindowS: config.batchWindowS,
      consumerTimeoutS: config.consumerTimeoutS,
      consumerConcurrency: config.consumerConcurrency,
      migrateAfter: [database.cluster, database.proxy],
      cdnInvalidationTopic: this.cdnInvalidations?.topic,
    });

    this.outgoingWebhooks = new OutgoingWebhooks(this, 'OutgoingWebhooks', {
      logRetentionDays: config.logRetentionDays,
      removalPolicy: defaults.removalPolicy,
      tables: stateful.webhookTables,
      admin: this.profileApi.admin,
      consumer: this.aggregation.consumer,
    });

    this.functions = {
      profile: this.profileApi.profile,
      site: this.profileApi.site,
      track: this.profileApi.track,
      admin: this.profileApi.admin,
      webhook: this.webhooks.webhook,
      consumer: this.aggregation.consumer,
      migrate: this.aggregation.migrate,
      rollup: this.aggregation.rollup,
      deliver: this.outgoingWebhooks.deliver,
    };
    if (watchIntervalS > 0) {
      this.changeWatcher = new ChangeWatcher(this, 'ChangeWatcher', {
        defaults,
        subnets: network.egressSubnets,
        cacheEnv,
        originEnv,
        intervalS: watchIntervalS,
        hotS: config.watchHotS,
        budgetShare: config.watchBudgetShare,
        originApiKey: secrets.originApiKey,
        eventsQueue: queues.queue,
      });
      this.functions.watcher = this.changeWatcher.watcher;
      // The watcher reads the origin too: with the MCP origin it refreshes the same tokens.
      this.linktreeTokens?.grantReadWrite(this.changeWatcher.watcher.fn);
    }

    this.api = new HttpApiGateway(this, 'HttpApi', {
      routes: props.routes ?? routeTable,
      functions: {
        profile: this.functions.profile.fn,
        site: this.functions.site.fn,
        track: this.functions.track.fn,
        admin: this.functions.admin.fn,
        webhook: this.functions.webhook.fn,
      },
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetentionDays: config.logRetentionDays,
      removalPolicy: defaults.removalPolicy,
    });

    this.observability = new Observability(this, 'Observability', {
      config,
      api: this.api.api,
      functions: Object.fromEntries(Object.entries(this.functions).map(([name, f]) => [name, f.fn])),
      queue: queues.queue,
      dlq: queues.dlq,
    });

    this.outgoingWebhooks.addAlarms(this.observability.topic);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'HTTP API base URL' });
    new CfnOutput(this, 'WebhookUrl', { value: `${this.api.url}webhooks/linktree`, description: 'Standard Webhooks target URL' });
    new CfnOutput(this, 'EventsQueueUrl', { value: queues.queue.queueUrl });
    new CfnOutput(this, 'DlqUrl', { value: queues.dlq.queueUrl, description: 'Dead-letter queue (npm run dlq)' });
    new CfnOutput(this, 'OriginApiKeySecretArn', {
      value: secrets.originApiKey.secretArn,
      description: 'Put the origin API key here',
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      value: secrets.webhookSecret.secretArn,
      description: 'Standard Webhooks secret (whsec_...)',
    });
    new CfnOutput(this, 'AdminTokenSecretArn', {
      value: secrets.adminToken.secretArn,
      description: 'Bearer token for private routes',
    });
    if (this.linktreeTokens) {
      new CfnOutput(this, 'LinktreeMcpTokensSecretArn', {
        value: this.linktreeTokens.secret.secretArn,
        description: 'LINKTREE_MCP_TOKENS=<this> npm run linktree:login fills it',
      });
    }
    new CfnOutput(this, 'DatabaseSecretArn', { value: database.secret.secretArn, description: 'Aurora credentials' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName });
  }

  /** Host name of the HTTP API, for CloudFront. */
  get apiDomain(): string {
    return Fn.select(2, Fn.split('/', this.api.api.apiEndpoint));
  }
}
