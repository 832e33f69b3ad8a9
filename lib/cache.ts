// The L2 cache: ElastiCache for Valkey, serverless by default (TLS-only, cluster mode, encrypted
// at rest, reads from replicas on port 6380 of the same endpoint), or a cluster-mode replication
// group with replicas when context `cacheMode=replication-group`.

import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { Construct } from 'constructs';
import { REDIS_PORT } from './network.ts';
import type { CacheMode } from './stage-config.ts';

export interface CacheProps {
  mode: CacheMode;
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.ISecurityGroup;
  maxDataGb: number;
  maxEcpuPerSecond: number;
  nodeType: string;
  shards: number;
  replicasPerShard: number;
  snapshotRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

export class Cache extends Construct {
  /** `rediss://<endpoint>:<port>`: TLS, cluster mode. */
  readonly redisUrl: string;
  readonly resource: elasticache.CfnServerlessCache | elasticache.CfnReplicationGroup;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    const name = `${Stack.of(this).stackName}-valkey`
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .slice(0, 40);

    if (props.mode === 'serverless') {
      const cache = new elasticache.CfnServerlessCache(this, 'Serverless', {
        serverlessCacheName: name,
        engine: 'valkey',
        majorEngineVersion: '8',
        description: 'LinkCache L2 profile cache',
        subnetIds,
        securityGroupIds: [props.securityGroup.securityGroupId],
        cacheUsageLimits: {
          dataStorage: { maximum: props.maxDataGb, unit: 'GB' },
          ecpuPerSecond: { maximum: props.maxEcpuPerSecond },
        },
        snapshotRetentionLimit: props.snapshotRetentionDays,
        // Serverless caches are always encrypted in transit (TLS-only) and at rest
        // (AWS-owned key unless kmsKeyId is set).
      });
      cache.applyRemovalPolicy(props.removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      this.resource = cache;
      this.redisUrl = `rediss://${cache.attrEndpointAddress}:${cache.attrEndpointPort}`;
      return;
    }

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'LinkCache Valkey subnets',
      subnetIds,
    });
    const group = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'LinkCache L2 profile cache',
      engine: 'valkey',
      engineVersion: '8.0',
      cacheNodeType: props.nodeType,
      clusterMode: 'enabled',
      cacheParameterGroupName: 'default.valkey8.cluster.on',
      numNodeGroups: props.shards,
      replicasPerNodeGroup: props.replicasPerShard,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      port: REDIS_PORT,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      snapshotRetentionLimit: props.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    group.applyRemovalPolicy(props.removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    this.resource = group;
    // Cluster mode: clients connect to the configuration endpoint and discover every shard.
    this.redisUrl = `rediss://${group.attrConfigurationEndPointAddress}:${group.attrConfigurationEndPointPort}`;
  }
}
