// prod with cdn=true and a cluster-mode replication group: protection, the edge, the other cache.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeKey, routes, type Route } from '../../lambdas/contracts/routes.ts';
import { resolveStage } from '../../lib/stage-config.ts';
import { App, type CfnElement } from 'aws-cdk-lib';
import { PROFILE_PATH_TEMPLATES } from '../../lambdas/core/cdn-invalidation.ts';
import { UNCACHED_PATHS } from '../../lib/cdn.ts';
import { type Synthesized, cdkContext, synth } from './fixture.ts';
import { actionsOf, allActions, appFunctions, fnByName, resources, roleOf, statementsAllowing, statementsOf } from './helpers.ts';

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
        // The visitors' salts are the exception: they must not outlive 48 h, so they go with the stack.
        const policy = id.startsWith('SaltsTable') ? 'Delete' : 'Retain';
        expect({ id, policy: (r as { DeletionPolicy?: string }).DeletionPolicy }).toEqual({ id, policy });
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

  it('forwards the viewer address, country, region, city, User-Agent and query strings to the counting routes', () => {
    const t = s.edgeTemplate;
    if (!t) throw new Error('no edge stack');
    const [, dist] = resources(t, 'AWS::CloudFront::Distribution')[0];
    const behaviors = dist.Properties.DistributionConfig.CacheBehaviors as {
      PathPattern: string;
      OriginRequestPolicyId: { Ref?: string } | string;
    }[];
    const policies = Object.fromEntries(resources(t, 'AWS::CloudFront::OriginRequestPolicy'));
    for (const p of ['/r/*', '/api/events']) {
      const ref = behaviors.find((b) => b.PathPattern === p)?.OriginRequestPolicyId as { Ref: string };
      const config = policies[ref.Ref]?.Properties.OriginRequestPolicyConfig;
      expect(config.HeadersConfig.HeaderBehavior).toBe('whitelist');
      expect(config.HeadersConfig.Headers).toEqual(
        expect.arrayContaining([
          'CloudFront-Viewer-Address',
          'CloudFront-Viewer-Country',
          'CloudFront-Viewer-Country-Region',
          'CloudFront-Viewer-City',
          'User-Agent',
          'Referer',
        ]),
      );
      expect(config.HeadersConfig.Headers.length).toBeLessThanOrEqual(10); // CloudFront's quota
      expect(config.HeadersConfig.Headers).not.toContain('Host');
      expect(config.QueryStringsConfig.QueryStringBehavior).toBe('all');
    }
  });

  it('has no unacknowledged cdk-nag finding', () => {
    const findings = s.nag
      .validateScope(s.app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(findings).toEqual([]);
  });
});

describe('CDN invalidation (cdn=true)', () => {
  const edge = () => {
    if (!s.edgeTemplate || !s.edge) throw new Error('no edge stack');
    return { t: s.edgeTemplate, stack: s.edge };
  };
  const topicId = () => s.service.getLogicalId(s.service.cdnInvalidations?.topic.node.defaultChild as CfnElement);
  const distributionId = () => {
    const [[id]] = resources(edge().t, 'AWS::CloudFront::Distribution');
    return id;
  };
  /** The cross-region export name under which the service stack writes `value`. */
  const exportedAs = (value: unknown): string[] =>
    resources(s.serviceTemplate, 'Custom::CrossRegionExportWriter').flatMap(([, w]) =>
      Object.entries(w.Properties.WriterProps.exports as Record<string, unknown>)
        .filter(([, v]) => JSON.stringify(v) === JSON.stringify(value))
        .map(([name]) => name),
    );
  const readerName = (v: unknown): string | undefined => (v as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[1];

  it('creates the cdn-invalidations topic in the service stack, SSE (AWS-managed SNS key) and TLS only', () => {
    const topics = resources(s.serviceTemplate, 'AWS::SNS::Topic').filter(([, r]) =>
      /cdn-invalidations/.test(r.Properties.DisplayName),
    );
    expect(topics.map(([id]) => id)).toEqual([topicId()]);
    expect(JSON.stringify(topics[0][1].Properties.KmsMasterKeyId)).toContain(':alias/aws/sns');
    s.serviceTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId() }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('gives the consumer the topic ARN and sns:Publish on it alone; no other function may publish to SNS', () => {
    const [, consumer] = fnByName(s.serviceTemplate, 'consumer');
    expect(consumer.Properties.Environment.Variables.CDN_INVALIDATION_TOPIC_ARN).toEqual({ Ref: topicId() });
    const publish = statementsAllowing(s.serviceTemplate, roleOf(consumer), 'sns:Publish');
    expect(publish.map((st) => [actionsOf(st), st.Resource])).toEqual([[['sns:Publish'], { Ref: topicId() }]]);
    expect(allActions(s.serviceTemplate, roleOf(consumer)).filter((a) => a.startsWith('sns:') || a.startsWith('kms:'))).toEqual([
      'sns:Publish',
    ]);
    for (const [name, [, fn]] of appFunctions(s.serviceTemplate)) {
      if (name === 'consumer') continue;
      expect({ name, publish: statementsAllowing(s.serviceTemplate, roleOf(fn), 'sns:Publish') }).toEqual({ name, publish: [] });
    }
  });

  it('reaches SNS from the isolated subnets through an endpoint that admits only Publish to that topic', () => {
    const endpoints = resources(s.serviceTemplate, 'AWS::EC2::VPCEndpoint').filter(([, r]) =>
      JSON.stringify(r.Properties.ServiceName).includes('.sns'),
    );
    expect(endpoints).toHaveLength(1);
    const [, ep] = endpoints[0];
    expect(ep.Properties.PrivateDnsEnabled).toBe(true);
    expect(JSON.stringify(ep.Properties.SubnetIds)).toMatch(/dataSubnet/);
    expect(ep.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Principal: { AWS: '*' }, Resource: { Ref: topicId() } },
    ]);
  });

  it('runs the invalidator in the edge stack (us-east-1), outside any VPC, with the distribution id and L1_TTL_S', () => {
    const { t, stack } = edge();
    expect(stack.region).toBe('us-east-1');
    const [, fn] = fnByName(t, 'cdn-invalidator');
    expect(fn.Properties.VpcConfig).toBeUndefined();
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    expect(fn.Properties.Environment.Variables).toMatchObject({
      CDN_DISTRIBUTION_ID: { Ref: distributionId() },
      L1_TTL_S: '5',
      POWERTOOLS_METRICS_NAMESPACE: 'LinkCache',
    });
    expect(allActions(t, roleOf(fn)).filter((a) => a.startsWith('ec2:'))).toEqual([]);
  });

  it('subscribes the invalidator to the topic across regions', () => {
    const { t } = edge();
    const [fnId] = fnByName(t, 'cdn-invalidator');
    const subs = resources(t, 'AWS::SNS::Subscription').filter(([, r]) => r.Properties.Protocol !== 'email');
    expect(subs).toHaveLength(1);
    const [, sub] = subs[0];
    expect(sub.Properties).toMatchObject({ Protocol: 'lambda', Region: 'eu-west-1', Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] } });
    // The topic ARN arrives through the cross-region reader, written by the service stack from the topic.
    expect(exportedAs({ Ref: topicId() })).toEqual([readerName(sub.Properties.TopicArn)]);
    const [[, permission]] = resources(t, 'AWS::Lambda::Permission');
    expect(permission.Properties).toMatchObject({
      Principal: 'sns.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    expect(readerName(permission.Properties.SourceArn)).toBe(readerName(sub.Properties.TopicArn));
  });

  it('lets the invalidator create invalidations on this distribution only, and nothing else of CloudFront', () => {
    const { t } = edge();
    const role = roleOf(fnByName(t, 'cdn-invalidator')[1]);
    const create = statementsAllowing(t, role, 'cloudfront:CreateInvalidation');
    expect(create).toHaveLength(1);
    expect(actionsOf(create[0])).toEqual(['cloudfront:CreateInvalidation']);
    expect(create[0].Resource).toEqual({
      'Fn::Join': ['', ['arn:aws:cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: distributionId() }]],
    });
    expect(allActions(t, role).filter((a) => a.startsWith('cloudfront:'))).toEqual(['cloudfront:CreateInvalidation']);
    // Only X-Ray needs `*`.
    const wildcard = statementsOf(t, role).filter((st) => JSON.stringify(st.Resource) === '"*"');
    expect(wildcard.flatMap(actionsOf).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('retries a failed notice twice, then sends it to an encrypted on-failure queue, with alarms in us-east-1', () => {
    const { t } = edge();
    const [fnId] = fnByName(t, 'cdn-invalidator');
    const queueId = s.edge?.getLogicalId(s.edge.invalidation.failed.node.defaultChild as CfnElement);
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3_600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const alarms = resources(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const [[topicInEdge]] = resources(t, 'AWS::SNS::Topic');
    const onFn = alarms.find((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(fnId));
    const onQueue = alarms.find(
      (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes(queueId ?? '?'),
    );
    for (const a of [onFn, onQueue]) {
      expect(a).toMatchObject({ Threshold: 1, AlarmActions: [{ Ref: topicInEdge }] });
    }
    // prod sets alarmEmail: the edge alarm topic mails it too.
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('invalidates exactly the {username} GET routes CloudFront caches', () => {
    const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const sample = (path: string) => path.replace(/\{[^}]+\}/g, 'x');
    const perUser = routes.filter((r) => r.method === 'GET' && r.path.includes('{username}'));
    expect(perUser.length).toBeGreaterThan(3);
    for (const r of perUser) {
      const uncached = UNCACHED_PATHS.some((p) => glob(p).test(sample(r.path)));
      const invalidated = (PROFILE_PATH_TEMPLATES as readonly string[]).includes(r.path);
      // One or the other: cached and never invalidated is stale until max-age; both is paying for nothing.
      expect({ route: r.path, uncached, invalidated }).toEqual({ route: r.path, uncached, invalidated: !uncached });
    }
    for (const p of PROFILE_PATH_TEMPLATES) expect(perUser.map((r) => r.path)).toContain(p);
  });
});

describe('without cdn (dev)', () => {
  let dev: Synthesized;
  beforeAll(() => {
    dev = synth({ stage: 'dev' });
  }, 120_000);

  it('has no edge stack, no invalidation topic or SNS endpoint, and the consumer neither the ARN nor sns:Publish', () => {
    expect(dev.edge).toBeUndefined();
    expect(dev.service.cdnInvalidations).toBeUndefined();
    const topics = resources(dev.serviceTemplate, 'AWS::SNS::Topic').map(([, r]) => r.Properties.DisplayName);
    expect(topics).toEqual(['LinkCache dev alarms']);
    const endpoints = resources(dev.serviceTemplate, 'AWS::EC2::VPCEndpoint');
    expect(endpoints.filter(([, r]) => JSON.stringify(r.Properties.ServiceName).includes('.sns'))).toEqual([]);
    const [, consumer] = fnByName(dev.serviceTemplate, 'consumer');
    expect(consumer.Properties.Environment.Variables.CDN_INVALIDATION_TOPIC_ARN).toBeUndefined();
    expect(statementsAllowing(dev.serviceTemplate, roleOf(consumer), 'sns:Publish')).toEqual([]);
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
