// The VPC: Lambdas in private subnets (NAT only because the origin is on the internet), the cache
// and the database in isolated subnets, endpoints for the AWS services the Lambdas call, and the
// security groups that let only the Lambdas reach Redis and the database proxy.

import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { retentionFor } from './constructs/service-function.ts';

export interface NetworkProps {
  natGateways: number;
  /** Origin base URL: its port is the one non-AWS destination Lambdas may reach. */
  originUrl: string;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

export const REDIS_PORT = 6379;
/** ElastiCache Serverless read-from-replica (latency-optimized) port, same DNS name. */
export const REDIS_READER_PORT = 6380;
export const POSTGRES_PORT = 5432;

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Every Lambda of the app. */
  readonly lambdaSg: ec2.SecurityGroup;
  readonly cacheSg: ec2.SecurityGroup;
  readonly proxySg: ec2.SecurityGroup;
  readonly databaseSg: ec2.SecurityGroup;
  /** Lambdas that call the origin (internet via NAT). */
  readonly egressSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  /** Cache, database, and Lambdas that only talk to AWS services and Postgres. */
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: false,
    });
    // Rejected flows only: enough to debug security groups, cheap at any traffic level.
    this.vpc.addFlowLog('RejectedFlows', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogs', {
          retention: retentionFor(props.logRetentionDays),
          removalPolicy: props.removalPolicy,
        }),
      ),
    });

    this.lambdaSg = new ec2.SecurityGroup(this, 'LambdaSg', {
      vpc: this.vpc,
      description: 'LinkCache Lambdas',
      allowAllOutbound: false,
    });
    this.cacheSg = new ec2.SecurityGroup(this, 'CacheSg', {
      vpc: this.vpc,
      description: 'LinkCache Valkey: from the Lambdas only',
      allowAllOutbound: false,
    });
    this.proxySg = new ec2.SecurityGroup(this, 'ProxySg', {
      vpc: this.vpc,
      description: 'LinkCache RDS Proxy: from the Lambdas only',
      allowAllOutbound: false,
    });
    this.databaseSg = new ec2.SecurityGroup(this, 'DatabaseSg', {
      vpc: this.vpc,
      description: 'LinkCache Aurora: from the RDS Proxy only',
      allowAllOutbound: false,
    });
    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: this.vpc,
      description: 'LinkCache interface endpoints: HTTPS from the Lambdas only',
      allowAllOutbound: false,
    });

    const redisPorts = ec2.Port.tcpRange(REDIS_PORT, REDIS_READER_PORT);
    this.cacheSg.addIngressRule(this.lambdaSg, redisPorts, 'Valkey primary and reader ports from Lambdas');
    this.lambdaSg.addEgressRule(this.cacheSg, redisPorts, 'Valkey');
    this.proxySg.addIngressRule(this.lambdaSg, ec2.Port.tcp(POSTGRES_PORT), 'Postgres from Lambdas');
    this.lambdaSg.addEgressRule(this.proxySg, ec2.Port.tcp(POSTGRES_PORT), 'RDS Proxy');
    // Proxy → database (5432) is added by the RDS Proxy target itself (Database construct);
    // adding it here too would create a duplicate rule, which EC2 rejects.
    endpointSg.addIngressRule(this.lambdaSg, ec2.Port.tcp(443), 'AWS APIs from Lambdas');
    // RDS Proxy reads the database secret from Secrets Manager through the endpoint.
    endpointSg.addIngressRule(this.proxySg, ec2.Port.tcp(443), 'Secrets Manager from RDS Proxy');
    this.proxySg.addEgressRule(endpointSg, ec2.Port.tcp(443), 'Secrets Manager endpoint');
    // HTTPS to AWS APIs (endpoints, DynamoDB gateway prefix list) and the origin.
    this.lambdaSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: AWS APIs and the origin');
    const originPort = portOf(props.originUrl);
    if (originPort !== 443) {
      this.lambdaSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(originPort), 'Origin');
    }

    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    for (const [name, service] of [
      ['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS],
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
    ] as const) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        subnets: this.isolatedSubnets,
        securityGroups: [endpointSg],
        open: false,
      });
    }
  }
}

const portOf = (url: string): number => {
  const u = new URL(url);
  if (u.port) return Number(u.port);
  return u.protocol === 'http:' ? 80 : 443;
};
