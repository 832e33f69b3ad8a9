// Analytics store: Aurora PostgreSQL Serverless v2 (one writer) behind RDS Proxy, so many Lambda
// containers share a few database connections. Credentials are generated into Secrets Manager;
// Lambdas read the `password` field through the extension and connect to the proxy with TLS.

import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { POSTGRES_PORT } from './network.ts';
import type { FunctionEnv } from './constructs/service-function.ts';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  databaseSg: ec2.ISecurityGroup;
  proxySg: ec2.ISecurityGroup;
  minAcu: number;
  maxAcu: number;
  backupRetentionDays: number;
  isProd: boolean;
}

export const DATABASE_NAME = 'linkcache';
export const DATABASE_USER = 'linkcache_app';

export class Database extends Construct {
  readonly cluster: rds.DatabaseCluster;
  readonly proxy: rds.DatabaseProxy;
  readonly secret: secretsmanager.ISecret;
  /** Environment for `pg` (libpq variable names); the password comes from `secret` (DATABASE_SECRET_ARN). */
  readonly connectionEnv: FunctionEnv;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    if (props.minAcu < 0.5) throw new Error('Aurora Serverless v2 cannot scale to 0 ACU while RDS Proxy is attached');

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
      writer: rds.ClusterInstance.serverlessV2('Writer', { autoMinorVersionUpgrade: true }),
      serverlessV2MinCapacity: props.minAcu,
      serverlessV2MaxCapacity: props.maxAcu,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.databaseSg],
      port: POSTGRES_PORT,
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER),
      defaultDatabaseName: DATABASE_NAME,
      storageEncrypted: true,
      backup: { retention: Duration.days(props.backupRetentionDays) },
      cloudwatchLogsExports: ['postgresql'],
      deletionProtection: props.isProd,
      removalPolicy: props.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      copyTagsToSnapshot: true,
    });
    const secret = this.cluster.secret;
    if (!secret) throw new Error('Aurora cluster has no generated secret');
    this.secret = secret;

    this.proxy = this.cluster.addProxy('Proxy', {
      secrets: [secret],
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.proxySg],
      requireTLS: true,
      iamAuth: false,
      borrowTimeout: Duration.seconds(10),
      maxConnectionsPercent: 90,
    });

    this.connectionEnv = {
      PGHOST: this.proxy.endpoint,
      PGPORT: POSTGRES_PORT,
      PGDATABASE: DATABASE_NAME,
      PGUSER: DATABASE_USER,
      // node-postgres reads PGSSLMODE; the proxy requires TLS and its certificate chains to a
      // public CA that Node trusts.
      PGSSLMODE: 'require',
    };
  }
}
