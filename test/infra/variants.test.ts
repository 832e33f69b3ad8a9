// prod with cdn=true and a cluster-mode replication group: protection, the edge, the other cache.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeKey, routes, type Route } from '../../lambdas/contracts/routes.ts';
import { resolveStage } from '../../lib/stage-config.ts';
import { App } from 'aws-cdk-lib';
import { type Synthesized, cdkContext, synth } from './fixture.ts';
import { fnByName, resources } from './helpers.ts';

// A route the table does not have yet: the stack must deploy it without code changes.
const newRoute: Route = { method: 'GET', path: '/api/infra-test/{username}', fn: 'profile' };

let s: Synthesized;
beforeAll(() => {
  s = synth(
    {
      stage: 'prod',
      cacheMode: 'replication-group',
      cacheReplicasPerShard: '2',
      alarmEmail: 'ops@example.com',
      publicBaseUrl: 'https://links.example.com',
    },
    { region: 'eu-west-1', routes: [...routes, newRoute] },
  );
}, 120_000);

describe('prod', () => {
  it('gives the page-rendering functions the configured public base URL', () => {
    for (const name of ['profile', 'site']) {
      const [, fn] = fnByName(s.serviceTemplate, name);
      expect({ name, url: fn.Properties.Environment.Variables.PUBLIC_BASE_URL }).toEqual({
        name,
        url: 'https://links.example.com',
      });
    }
  });

  it('protects stateful resources: termination protection, deletion protection, RETAIN', () => {
    expect(s.stateful.terminationProtection).toBe(true);
    s.statefulTemplate.hasResource('AWS::RDS::DBCluster', {
      Properties: Match.objectLike({ DeletionProtection: true, BackupRetentionPeriod: 14, StorageEncrypted: true }),
      DeletionPolicy: 'Retain',
    });
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::ElastiCache::ReplicationGroup']) {
      for (const [id, r] of Object.entries(s.statefulTemplate.findResources(type))) {
        expect({ id, policy: (r as { DeletionPolicy?: string }).DeletionPolicy }).toEqual({ id, policy: 'Retain' });
      }
    }
  });

  it('uses a cluster-mode Valkey replication group with replicas, TLS required and encryption at rest', () => {
    s.statefulTemplate.resourceCountIs('AWS::ElastiCache::ServerlessCache', 0);
    s.statefulTemplate.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      ClusterMode: 'enabled',
      ReplicasPerNodeGroup: 2,
      NumNodeGroups: 2,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
    });
  });

  it('runs 2 NAT gateways and subscribes the alarm email', () => {
    s.statefulTemplate.resourceCountIs('AWS::EC2::NatGateway', 2);
    s.serviceTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('deploys a route added to the table', () => {
    const keys = resources(s.serviceTemplate, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(keys).toContain(routeKey(newRoute));
    expect(keys).toHaveLength(routes.length + 1);
  });
});

describe('edge (cdn=true)', () => {
  it('puts CloudFront and a WAF rate-based rule in us-east-1', () => {
    expect(s.edge?.region).toBe('us-east-1');
    const t = s.edgeTemplate;
    if (!t) throw new Error('no edge stack');
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: Match.arrayWith([
        Match.objectLike({ Action: { Block: {} }, Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP' } } }),
      ]),
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
    });
    expect(Object.keys(t.toJSON().Outputs)).toContain('CloudFrontUrl');
  });

  it('caches public GETs by origin Cache-Control and forwards If-None-Match', () => {
    const t = s.edgeTemplate;
    if (!t) throw new Error('no edge stack');
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ MinTTL: 0, DefaultTTL: 0, MaxTTL: 86_400 }),
    });
    t.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: Match.arrayWith(['If-None-Match']) },
      }),
    });
  });

  it('never caches side-effect or private routes', () => {
    const t = s.edgeTemplate;
    if (!t) throw new Error('no edge stack');
    const [, dist] = resources(t, 'AWS::CloudFront::Distribution')[0];
    const behaviors = dist.Properties.DistributionConfig.CacheBehaviors as { PathPattern: string; CachePolicyId: string }[];
    const uncached = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'; // Managed-CachingDisabled
    for (const p of ['/r/*', '/api/events', '/webhooks/*', '/api/cache/*', '/api/profiles/*/analytics']) {
      expect(behaviors.find((b) => b.PathPattern === p)?.CachePolicyId).toBe(uncached);
    }
  });

  it('has no unacknowledged cdk-nag finding', () => {
    const findings = s.nag
      .validateScope(s.app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});

describe('stage configuration', () => {
  const resolve = (ctx: Record<string, unknown>) => resolveStage(new App({ context: { ...cdkContext(), ...ctx } }).node);

  it('reads the stage from cdk.json and lets single keys override it', () => {
    expect(resolve({ stage: 'prod' })).toMatchObject({ isProd: true, natGateways: 2, cdn: true });
    expect(resolve({ stage: 'dev', natGateways: '3', cdn: 'true' })).toMatchObject({ isProd: false, natGateways: 3, cdn: true });
  });

  it('refuses scale-to-zero with RDS Proxy, unknown stages and bad values', () => {
    expect(() => resolve({ minAcu: '0' })).toThrow(/RDS Proxy/);
    expect(() => resolve({ stage: 'qa' })).toThrow(/Unknown stage/);
    expect(() => resolve({ batchSize: 'lots' })).toThrow(/number/);
    expect(() => resolve({ cacheMode: 'memcached' })).toThrow(/cacheMode/);
  });

  it('lets cdk-nag fail: an unacknowledged finding is reported', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const { AwsSolutionsChecks } = await import('cdk-nag');
    const app = new App();
    new Queue(new Stack(app, 'Bad'), 'Plain');
    const ids = new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName);
    expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});

describe('function environments go through the configuration schema', () => {
  it('a stage value the Lambdas would refuse fails the synth, naming the variable', () => {
    expect(() => synth({ l1TtlS: '99999' })).toThrow('L1_TTL_S must be an integer from 0 to 3600 s; got "99999"');
  });
});
