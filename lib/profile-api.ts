// The functions behind the HTTP API's public reads, the owner's dashboard and static files, click
// tracking and private admin routes. All of them read through the Valkey cache and call the origin (NAT).

import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantApiKeys } from './api-keys-table.ts';
import { type FunctionDefaults, ServiceFunction, type FunctionEnv } from './constructs/service-function.ts';
import type { SaltsTable } from './salts-table.ts';

export interface ProfileApiProps {
  defaults: FunctionDefaults;
  egressSubnets: ec2.SubnetSelection;
  /** REDIS_*, TTLs. */
  cacheEnv: FunctionEnv;
  /** ORIGIN_URL, ORIGIN_RATE_PER_MIN. */
  originEnv: FunctionEnv;
  /** PG* for the admin analytics route. */
  databaseEnv: FunctionEnv;
  originApiKey: secretsmanager.ISecret;
  adminToken: secretsmanager.ISecret;
  databaseSecret: secretsmanager.ISecret;
  eventsQueue: sqs.IQueue;
  /** The scoped API keys, checked and managed by the admin function (the one with private routes). */
  apiKeysTable: dynamodb.ITable;
  /** The visitors' daily salts (track). */
  salts: SaltsTable;
}

export class ProfileApi extends Construct {
  readonly profile: ServiceFunction;
  readonly site: ServiceFunction;
  readonly track: ServiceFunction;
  readonly admin: ServiceFunction;

  constructor(scope: Construct, id: string, props: ProfileApiProps) {
    super(scope, id);
    const base = { ...props.defaults, vpcSubnets: props.egressSubnets };

    this.profile = new ServiceFunction(this, 'Profile', {
      ...base,
      name: 'profile',
      description: 'Public profile reads and the link-in-bio page through the cache',
      // Origin retry budget (5 s) plus cache and render time.
      timeout: Duration.seconds(10),
      memorySize: 1024,
      environment: { ...props.cacheEnv, ...props.originEnv },
      secrets: { ORIGIN_API_KEY: props.originApiKey },
    });

    // The dashboard and the pages' static files, apart from the hot path so the profile bundle
    // (cold start) carries neither uPlot nor the asset bodies. The dashboard resolves the profile
    // through the read path (cache, then origin), so: cache + origin env and the origin key only.
    this.site = new ServiceFunction(this, 'Site', {
      ...base,
      name: 'site',
      description: 'Owner dashboard and static page files (assets, favicon, robots.txt)',
      // Origin retry budget (5 s) plus cache and render time.
      timeout: Duration.seconds(10),
      environment: { ...props.cacheEnv, ...props.originEnv },
      secrets: { ORIGIN_API_KEY: props.originApiKey },
    });

    this.track = new ServiceFunction(this, 'Track', {
      ...base,
      name: 'track',
      description: 'Link redirects and beacon events, enqueued to SQS',
      timeout: Duration.seconds(10),
      environment: {
        ...props.cacheEnv,
        ...props.originEnv,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        SALTS_TABLE: props.salts.table.tableName,
      },
      secrets: { ORIGIN_API_KEY: props.originApiKey },
    });
    props.eventsQueue.grantSendMessages(this.track.fn);
    props.salts.grantSalts(this.track.fn);

    this.admin = new ServiceFunction(this, 'Admin', {
      ...base,
      name: 'admin',
      description: 'Private routes: link updates, cache invalidation, analytics',
      timeout: Duration.seconds(15),
      environment: {
        ...props.cacheEnv,
        ...props.originEnv,
        ...props.databaseEnv,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        API_KEYS_TABLE: props.apiKeysTable.tableName,
      },
      secrets: { ADMIN_TOKEN: props.adminToken, ORIGIN_API_KEY: props.originApiKey, DATABASE: props.databaseSecret },
    });
    props.eventsQueue.grantSendMessages(this.admin.fn);
    grantApiKeys(props.apiKeysTable, this.admin.fn);
  }
}

/** DynamoDB actions Powertools Idempotency uses: nothing else (no Scan, Query, batch or table-level calls). */
export const IDEMPOTENCY_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
