// The dev stage as `cdk synth` builds it (cdk.json context), synthesized once for the file.
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CORS_ROUTE_KEYS, declaredRoutes, routeKey, routes } from '../../lambdas/contracts/routes.ts';
import { assertVisibilityTimeout } from '../../lib/event-queues.ts';
import { Duration } from 'aws-cdk-lib';
import { METRIC_NAMESPACE, MetricNames } from '../../lambdas/contracts/metrics.ts';
import { type Synthesized, synth } from './fixture.ts';
import { actionsOf, allActions, appFunctions, fnByName, importName, resources, roleOf, statementsAllowing } from './helpers.ts';

// Values a developer might have in the shell: none may reach a template.
const PLANTED = {
  ORIGIN_API_KEY: 'planted-origin-key-7f3a9c',
  WEBHOOK_SECRET: 'whsec_cGxhbnRlZC13ZWJob29rLXNlY3JldC14eXo=',
  ADMIN_TOKEN: 'planted-admin-token-91bd2e',
  DATABASE_URL: 'postgres://planted:planted-db-pass-55@localhost/x',
};

let s: Synthesized;
const logicalId = (c: { node: { defaultChild?: unknown } } | CfnElement, stack: Stack = s.stateful): string =>
  stack.getLogicalId(('node' in c && (c as { node: { defaultChild?: CfnElement } }).node.defaultChild) || (c as CfnElement));

beforeAll(() => {
  Object.assign(process.env, PLANTED);
  try {
    s = synth({ stage: 'dev' });
  } finally {
    for (const k of Object.keys(PLANTED)) delete process.env[k];
  }
}, 120_000);

describe('click aggregation', () => {
  it('consumes the events queue in 10 s windows of up to 10,000 with partial batch failures', () => {
    const [consumerId] = fnByName(s.serviceTemplate, 'consumer');
    s.serviceTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: consumerId },
      BatchSize: 10_000,
      MaximumBatchingWindowInSeconds: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('QueuesEvents') },
    });
  });

  it('caps the consumer with reserved concurrency equal to the poller maximum', () => {
    const [, consumer] = fnByName(s.serviceTemplate, 'consumer');
    expect(consumer.Properties.ReservedConcurrentExecutions).toBe(2);
    expect(consumer.Properties.Environment.Variables.BATCH_WINDOW_S).toBe('10');
  });

  it('redrives to an SSE DLQ after 8 receives (with the consumer backoff, over 6 h of outage); the DLQ keeps messages 14 days', () => {
    const dlqId = logicalId(s.stateful.queues.dlq);
    s.statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 8 },
      SqsManagedSseEnabled: true,
    });
    s.statefulTemplate.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true }),
    });
    expect(Object.keys(s.statefulTemplate.findResources('AWS::SQS::Queue'))).toContain(dlqId);
  });

  it('keeps both queues encrypted (SQS-managed SSE) and TLS-only', () => {
    const queues = resources(s.statefulTemplate, 'AWS::SQS::Queue');
    expect(queues).toHaveLength(2);
    for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    for (const [, p] of resources(s.statefulTemplate, 'AWS::SQS::QueuePolicy')) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('sets the queue visibility timeout to at least 6 × the consumer timeout', () => {
    const [, consumer] = fnByName(s.serviceTemplate, 'consumer');
    const queueId = logicalId(s.stateful.queues.queue);
    const visibility = s.statefulTemplate.toJSON().Resources[queueId].Properties.VisibilityTimeout as number;
    expect(consumer.Properties.Timeout).toBeGreaterThan(0);
    expect(visibility).toBeGreaterThanOrEqual(6 * consumer.Properties.Timeout);
  });

  it('gives the consumer the queue and DLQ URLs, and the DLQ move-task rights on the DLQ alone', () => {
    const [, consumer] = fnByName(s.serviceTemplate, 'consumer');
    const env = consumer.Properties.Environment.Variables;
    expect(importName(env.EVENTS_QUEUE_URL)).toMatch(/QueuesEvents/);
    expect(importName(env.DLQ_URL)).toMatch(/QueuesDlq/);
    const move = statementsAllowing(s.serviceTemplate, roleOf(consumer), 'sqs:StartMessageMoveTask');
    expect(move).toHaveLength(1);
    expect(importName(move[0].Resource)).toMatch(/QueuesDlq.*Arn/);
  });

  it('refuses a maxReceiveCount whose backoff would dead-letter events within a 6-hour outage', () => {
    expect(() => synth({ maxReceiveCount: '5' })).toThrow(/at least 6 h is promised/);
  });

  it('refuses a visibility timeout below 6 × the consumer timeout', () => {
    expect(() => assertVisibilityTimeout(Duration.seconds(300), Duration.seconds(60))).toThrow(/6 ×/);
    expect(() => assertVisibilityTimeout(Duration.seconds(360), Duration.seconds(60))).not.toThrow();
  });

  it('runs the migrate function at deploy time, after the database and before the consumer', () => {
    const [migrateId] = fnByName(s.serviceTemplate, 'migrate');
    const [consumerId, consumer] = fnByName(s.serviceTemplate, 'consumer');
    const [triggerId, trigger] = resources(s.serviceTemplate, 'Custom::Trigger')[0];
    const versionId = (trigger.Properties.HandlerArn as { Ref: string }).Ref;
    expect(s.serviceTemplate.toJSON().Resources[versionId]).toMatchObject({
      Type: 'AWS::Lambda::Version',
      Properties: { FunctionName: { Ref: migrateId } },
    });
    expect(s.serviceTemplate.toJSON().Resources[consumerId].DependsOn ?? consumer.DependsOn).toContain(triggerId);
    // The database lives in the stateful stack, which the service stack depends on.
    expect(s.service.dependencies.map((d) => d.stackName)).toContain(s.stateful.stackName);
  });
});

describe('the analytics rollup', () => {
  it('runs the rollup function every minute, without retries, one at a time, in the VPC with the database', () => {
    const [fnId, fn] = fnByName(s.serviceTemplate, 'rollup');
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Timeout).toBe(300);
    expect(fn.Properties.VpcConfig).toBeDefined();
    const env = fn.Properties.Environment.Variables;
    expect(importName(env.PGHOST)).toMatch(/Proxy.*Endpoint/);
    expect(env).toMatchObject({ PGPORT: '5432', PGDATABASE: 'linkcache', PGSSLMODE: 'require' });
    const schedules = resources(s.serviceTemplate, 'AWS::Scheduler::Schedule').filter(([, r]) =>
      JSON.stringify(r.Properties.Target.Arn).includes(fnId),
    );
    expect(schedules).toHaveLength(1);
    const [, schedule] = schedules[0];
    expect(schedule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(schedule.Properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('lets its schedule invoke that function alone, and leaves the job out of the consumer', () => {
    const [fnId] = fnByName(s.serviceTemplate, 'rollup');
    const [, schedule] = resources(s.serviceTemplate, 'AWS::Scheduler::Schedule').filter(([, r]) =>
      JSON.stringify(r.Properties.Target.Arn).includes(fnId),
    )[0];
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(allActions(s.serviceTemplate, roleId)).toEqual(['lambda:InvokeFunction']);
    expect(statementsAllowing(s.serviceTemplate, roleId, 'lambda:InvokeFunction').map((st) => st.Resource)).toEqual([
      { 'Fn::GetAtt': [fnId, 'Arn'] },
    ]);
    const consumer = fnByName(s.serviceTemplate, 'consumer')[1];
    expect(consumer.Properties.Environment.Variables.ANALYTICS_ROLLUP_S).toBe('0');
  });

  it('is in place before its first run: the migration runs before it', () => {
    const [rollupId, rollup] = fnByName(s.serviceTemplate, 'rollup');
    const [triggerId] = resources(s.serviceTemplate, 'Custom::Trigger')[0];
    expect(s.serviceTemplate.toJSON().Resources[rollupId].DependsOn ?? rollup.DependsOn).toContain(triggerId);
  });
});

describe('alarms', () => {
  const topicRef = () => ({ Ref: logicalId(s.service.observability.topic, s.service) });

  it('alarms on any visible DLQ message, to the SNS topic', () => {
    s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('QueuesDlq') } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topicRef()],
    });
  });

  it('alarms on the age of the oldest event', () => {
    s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('QueuesEvents') } }],
      Threshold: 300,
      AlarmActions: [topicRef()],
    });
  });

  it('alarms on errors and throttles of every function', () => {
    const fns = appFunctions(s.serviceTemplate);
    expect([...fns.keys()].sort()).toEqual([
      'admin',
      'consumer',
      'deliver',
      'migrate',
      'profile',
      'rollup',
      'site',
      'track',
      'webhook',
    ]);
    for (const [, [id]] of fns) {
      for (const metric of ['Errors', 'Throttles']) {
        s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
          Threshold: 1,
          AlarmActions: [topicRef()],
        });
      }
    }
  });

  it('alarms on the API 5xx rate (metric math) and p99 latency', () => {
    s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }) }) }),
        Match.objectLike({ Id: 'requests', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Count' }) }) }),
      ]),
      Threshold: 5,
      AlarmActions: [topicRef()],
    });
    s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      ExtendedStatistic: 'p99',
      Threshold: 3000,
      AlarmActions: [topicRef()],
    });
  });

  it.each([MetricNames.OriginThrottled, MetricNames.OriginShapeChanged, MetricNames.ClickEventsDropped])(
    'alarms on the custom metric %s summed over services',
    (name) => {
      s.serviceTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: { Namespace: METRIC_NAMESPACE, MetricName: name, Dimensions: [{ Name: 'service', Value: 'track' }] },
            }),
          }),
        ]),
        AlarmActions: [topicRef()],
      });
    },
  );

  it('sends every alarm to the topic', () => {
    const alarms = resources(s.serviceTemplate, 'AWS::CloudWatch::Alarm');
    // Queue 2, per function 2 × 9, metric alarms 7, outgoing webhooks 3 (test/infra/outgoing-webhooks.test.ts).
    expect(alarms.length).toBe(2 + 2 * 9 + 7 + 3);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([topicRef()]);
  });

  it('graphs cache hit ratio, origin calls, queue and DLQ depth, consumer throughput', () => {
    const [, dash] = resources(s.serviceTemplate, 'AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(dash.Properties.DashboardBody);
    for (const m of [
      'CacheHit',
      'CacheMiss',
      'CacheStale',
      'OriginCalls',
      'EventsApplied',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(m);
    }
  });
});

describe('stateful resources', () => {
  it('uses serverless Valkey (TLS-only, encrypted at rest) in isolated subnets behind the cache SG', () => {
    s.statefulTemplate.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1);
    s.statefulTemplate.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(s.stateful.network.cacheSg), 'GroupId'] }],
    });
    s.statefulTemplate.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    // Cluster-mode TLS URL for every Redis user.
    for (const name of ['profile', 'site', 'track', 'webhook', 'admin']) {
      const env = fnByName(s.serviceTemplate, name)[1].Properties.Environment.Variables;
      expect(JSON.stringify(env.REDIS_URL)).toMatch(/^\{"Fn::Join":\["",\["rediss:\/\//);
      expect(env.REDIS_CLUSTER).toBe('true');
      expect(env.REDIS_READ_REPLICAS).toBe('true');
    }
  });

  it('lets only the Lambda SG reach Redis (6379 and reader 6380) and the proxy (5432)', () => {
    const lambdaSg = { 'Fn::GetAtt': [logicalId(s.stateful.network.lambdaSg), 'GroupId'] };
    const ingress = resources(s.statefulTemplate, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    const toCache = ingress.filter((r) => r.GroupId['Fn::GetAtt'][0] === logicalId(s.stateful.network.cacheSg));
    expect(toCache).toEqual([expect.objectContaining({ FromPort: 6379, ToPort: 6380, SourceSecurityGroupId: lambdaSg })]);
    const toProxy = ingress.filter((r) => r.GroupId['Fn::GetAtt'][0] === logicalId(s.stateful.network.proxySg));
    expect(toProxy).toEqual([expect.objectContaining({ FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: lambdaSg })]);
    for (const id of [s.stateful.network.cacheSg, s.stateful.network.proxySg]) {
      const sg = s.statefulTemplate.toJSON().Resources[logicalId(id)];
      expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('has one NAT gateway, a DynamoDB gateway endpoint and SQS/Secrets Manager interface endpoints', () => {
    s.statefulTemplate.resourceCountIs('AWS::EC2::NatGateway', 1);
    const endpoints = resources(s.statefulTemplate, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
      JSON.stringify(r.Properties.ServiceName),
    );
    expect(endpoints.some((e) => e.includes('dynamodb'))).toBe(true);
    expect(endpoints.some((e) => e.includes('.sqs'))).toBe(true);
    expect(endpoints.some((e) => e.includes('secretsmanager'))).toBe(true);
  });

  it('runs Aurora PostgreSQL Serverless v2, encrypted, with backups, behind a TLS-only RDS Proxy', () => {
    s.statefulTemplate.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      BackupRetentionPeriod: 1,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 },
      DeletionProtection: false,
    });
    s.statefulTemplate.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    s.statefulTemplate.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
    const pg = fnByName(s.serviceTemplate, 'consumer')[1].Properties.Environment.Variables;
    expect(importName(pg.PGHOST)).toMatch(/Proxy.*Endpoint/);
    expect(pg).toMatchObject({ PGPORT: '5432', PGDATABASE: 'linkcache', PGSSLMODE: 'require' });
  });

  it('keys the idempotency table on id with TTL expiration, on demand, PITR, encrypted', () => {
    s.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('keys the salts table on day with TTL expiration, and keeps no copy (no PITR, destroyed with the stack)', () => {
    const tables = Object.values(s.statefulTemplate.findResources('AWS::DynamoDB::Table')).filter(
      (t) => t.Properties.KeySchema[0].AttributeName === 'day',
    );
    expect(tables).toHaveLength(1);
    expect(tables[0].Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      SSESpecification: { SSEEnabled: true },
    });
    expect(tables[0].Properties.StreamSpecification).toBeUndefined();
    expect(tables[0].DeletionPolicy).toBe('Delete');
  });

  it('is disposable in dev (no termination protection)', () => {
    expect(s.stateful.terminationProtection).toBe(false);
  });
});

describe('functions', () => {
  it('runs every function on Node 24, arm64, with active tracing', () => {
    const all = [
      ...resources(s.serviceTemplate, 'AWS::Lambda::Function'),
      ...resources(s.statefulTemplate, 'AWS::Lambda::Function'),
    ];
    // CDK's own Trigger provider (a CustomResourceProvider: Node 24 too, but its architecture and
    // tracing are not configurable) is the one function that is not ours.
    const framework = all.filter(([id]) => id.startsWith('AWSCDKTriggerCustomResourceProvider'));
    expect(framework).toHaveLength(1);
    expect(framework[0][1].Properties.Runtime).toBe('nodejs24.x');
    const ours = all.filter(([id]) => !id.startsWith('AWSCDK'));
    expect(ours).toHaveLength(10);
    for (const [id, r] of ours) {
      expect({ id, runtime: r.Properties.Runtime }).toEqual({ id, runtime: 'nodejs24.x' });
      expect(r.Properties.Architectures).toEqual(['arm64']);
      expect(r.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  it('gives each function its log group, Powertools settings and the secrets extension layer', () => {
    for (const [name, [, r]] of appFunctions(s.serviceTemplate)) {
      const env = r.Properties.Environment.Variables;
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: 'LinkCache',
        NODE_OPTIONS: '--enable-source-maps',
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
      });
      expect(r.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(r.Properties.Layers).toEqual([
        {
          'Fn::FindInMap': [expect.stringMatching(/^Paramsandsecrets/), { Ref: 'AWS::Region' }, expect.stringMatching(/arm64$/)],
        },
      ]);
      expect(r.Properties.Handler).toBe('index.handler');
    }
  });

  it.each(['profile', 'site'])('sets the cache and origin configuration of %s from the stage', (name) => {
    const env = fnByName(s.serviceTemplate, name)[1].Properties.Environment.Variables;
    expect(env).toMatchObject({
      PROFILE_TTL_S: '300',
      LINKS_TTL_S: '120',
      ANALYTICS_TTL_S: '900',
      L1_TTL_S: '5',
      ORIGIN_RATE_PER_MIN: '150',
      ORIGIN_URL: 'https://origin.example.com',
    });
  });

  it('keeps the hot-path profile function at 1024 MB and the site function at the default', () => {
    expect(fnByName(s.serviceTemplate, 'profile')[1].Properties.MemorySize).toBe(1024);
    expect(fnByName(s.serviceTemplate, 'site')[1].Properties.MemorySize).toBe(512);
  });
});

describe('least privilege', () => {
  const role = (name: string) => roleOf(fnByName(s.serviceTemplate, name)[1]);
  const secretIds = () => ({
    ORIGIN_API_KEY: logicalId(s.stateful.secrets.originApiKey),
    WEBHOOK_SECRET: logicalId(s.stateful.secrets.webhookSecret),
    ADMIN_TOKEN: logicalId(s.stateful.secrets.adminToken),
    DATABASE: 'DatabaseClusterSecretAttachment',
  });

  it('gives profile no SQS send and no DynamoDB rights', () => {
    const actions = allActions(s.serviceTemplate, role('profile'));
    expect(actions.length).toBeGreaterThan(0);
    expect(statementsAllowing(s.serviceTemplate, role('profile'), 'sqs:SendMessage')).toEqual([]);
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('gives site only logs, ENIs, X-Ray and the origin API key: no SQS, DynamoDB, database or other secret', () => {
    const site = role('site');
    const actions = [...new Set(allActions(s.serviceTemplate, site))].sort();
    expect(actions).toEqual(
      [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const reads = statementsAllowing(s.serviceTemplate, site, 'secretsmanager:GetSecretValue');
    expect(reads).toHaveLength(1);
    expect(importName(reads[0].Resource)).toContain(secretIds().ORIGIN_API_KEY);
    const env = fnByName(s.serviceTemplate, 'site')[1].Properties.Environment.Variables;
    expect(Object.keys(env).filter((k) => /^(EVENTS_QUEUE_URL|IDEMPOTENCY|PG|DATABASE)/.test(k))).toEqual([]);
  });

  it('scopes webhook DynamoDB rights to the idempotency table, without scans or queries', () => {
    const tableId = logicalId(s.stateful.idempotency.table);
    const ddb = statementsAllowing(s.serviceTemplate, role('webhook'), 'dynamodb:PutItem');
    expect(ddb).toHaveLength(1);
    expect(ddb[0].Resource).toEqual({ 'Fn::ImportValue': expect.stringMatching(new RegExp(`${tableId}Arn`)) });
    expect(actionsOf(ddb[0]).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    // The admin function's DynamoDB rights are on its own tables (test/infra/api-keys.test.ts), track's on the salts.
    for (const other of ['profile', 'site', 'migrate']) {
      expect(allActions(s.serviceTemplate, role(other)).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    }
    // The consumer's one DynamoDB right: listing webhook endpoints to fan out (outgoing-webhooks.test.ts).
    expect(allActions(s.serviceTemplate, role('consumer')).filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:Scan']);
  });

  it("scopes track's DynamoDB rights to the salts table (get, make, delete old days) and names it in SALTS_TABLE", () => {
    const tableId = logicalId(s.stateful.salts.table);
    const ddb = statementsAllowing(s.serviceTemplate, role('track'), 'dynamodb:PutItem');
    expect(ddb).toHaveLength(1);
    expect(ddb[0].Resource).toEqual({ 'Fn::ImportValue': expect.stringMatching(new RegExp(`${tableId}Arn`)) });
    expect(actionsOf(ddb[0]).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan']);
    const dynamo = allActions(s.serviceTemplate, role('track')).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan']);
    const env = fnByName(s.serviceTemplate, 'track')[1].Properties.Environment.Variables;
    expect(importName(env.SALTS_TABLE)).toContain(tableId);
  });

  it('lets only track, webhook, admin and the consumer (moving the DLQ back) send to the events queue', () => {
    for (const [name, expected] of Object.entries({
      profile: 0,
      site: 0,
      track: 1,
      webhook: 1,
      admin: 1,
      consumer: 1,
      migrate: 0,
    })) {
      // The consumer also sends outgoing-webhook jobs to the delivery queue (outgoing-webhooks.test.ts).
      const send = statementsAllowing(s.serviceTemplate, role(name), 'sqs:SendMessage').filter(
        (st) => !JSON.stringify(st.Resource).includes('OutgoingWebhooksDeliveries'),
      );
      expect({ name, n: send.length }).toEqual({ name, n: expected });
      for (const st of send) expect(importName(st.Resource)).toMatch(/QueuesEvents.*Arn/);
    }
  });

  it('lets each function read exactly its own secrets', () => {
    const ids = secretIds();
    const expected: Record<string, (keyof typeof ids)[]> = {
      profile: ['ORIGIN_API_KEY'],
      site: ['ORIGIN_API_KEY'],
      track: ['ORIGIN_API_KEY'],
      webhook: ['WEBHOOK_SECRET'],
      admin: ['ADMIN_TOKEN', 'DATABASE', 'ORIGIN_API_KEY'],
      consumer: ['DATABASE'],
      migrate: ['DATABASE'],
    };
    for (const [name, names] of Object.entries(expected)) {
      const reads = statementsAllowing(s.serviceTemplate, role(name), 'secretsmanager:GetSecretValue');
      const granted = reads
        .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .map((r) => {
          const n = importName(r) ?? '';
          return (Object.keys(ids) as (keyof typeof ids)[]).find((k) => n.includes(ids[k]));
        });
      expect({ name, granted: granted.sort() }).toEqual({ name, granted: [...names].sort() });
      for (const st of reads) expect(actionsOf(st)).toEqual(['secretsmanager:GetSecretValue']);
      const env = fnByName(s.serviceTemplate, name)[1].Properties.Environment.Variables;
      for (const n of names) expect(importName(env[`${n}_SECRET_ARN`])).toContain(ids[n]);
    }
  });

  it('puts no secret value in any template', () => {
    const json = JSON.stringify([s.statefulTemplate.toJSON(), s.serviceTemplate.toJSON()]);
    for (const value of [...Object.values(PLANTED), 'planted-db-pass-55', 'dev-origin-api-key'])
      expect(json).not.toContain(value);
    expect(json).not.toMatch(/whsec_[A-Za-z0-9+/]{16,}/);
    for (const [, secret] of resources(s.statefulTemplate, 'AWS::SecretsManager::Secret')) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret.Properties.GenerateSecretString).toBeDefined();
    }
    expect(s.statefulTemplate.toJSON().Parameters ?? {}).not.toHaveProperty('WebhookSecret');
  });
});

describe('HTTP API', () => {
  it('deploys exactly the routes of lambdas/contracts/routes.ts, each to its function', () => {
    const t = s.serviceTemplate;
    const integrations = Object.fromEntries(
      resources(t, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, r.Properties.IntegrationUri['Fn::GetAtt'][0]]),
    );
    const fnIds = Object.fromEntries([...appFunctions(t)].map(([name, [id]]) => [id, name]));
    const deployed = resources(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
      const integrationId = r.Properties.Target['Fn::Join'][1][1].Ref as string;
      return `${r.Properties.RouteKey} -> ${fnIds[integrations[integrationId]]}`;
    });
    expect(deployed.sort()).toEqual(routes.map((r) => `${routeKey(r)} -> ${r.fn}`).sort());
  });

  it('deploys a HEAD beside every GET and an OPTIONS on every CORS path, each to the function of the path', () => {
    const keys = resources(s.serviceTemplate, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    const gets = declaredRoutes.filter((r) => r.method === 'GET');
    for (const r of gets) expect(keys).toContain(`HEAD ${r.path}`);
    const options = keys.filter((k) => k.startsWith('OPTIONS '));
    expect(options.sort()).toEqual([...CORS_ROUTE_KEYS].filter((k) => k.startsWith('OPTIONS ')).sort());
    expect(options.length).toBe(5);
    // Declared routes, one HEAD per GET (the redirect declares its own), one OPTIONS per CORS path.
    expect(keys).toHaveLength(declaredRoutes.length + gets.length - 1 + options.length);
  });

  it('leaves API Gateway CORS off: it would grant every route, private ones included, over the functions', () => {
    for (const [, api] of resources(s.serviceTemplate, 'AWS::ApiGatewayV2::Api')) {
      expect(api.Properties.CorsConfiguration).toBeUndefined();
    }
  });

  it('uses payload format 2.0, default-stage throttling and access logs', () => {
    s.serviceTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    for (const [, i] of resources(s.serviceTemplate, 'AWS::ApiGatewayV2::Integration')) {
      expect(i.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    }
    s.serviceTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
  });

  it('outputs the API and webhook URLs, DLQ URL, secret ARNs and dashboard name', () => {
    const outputs = Object.keys(s.serviceTemplate.toJSON().Outputs);
    for (const o of [
      'ApiUrl',
      'WebhookUrl',
      'DlqUrl',
      'OriginApiKeySecretArn',
      'WebhookSecretArn',
      'AdminTokenSecretArn',
      'DatabaseSecretArn',
      'DashboardName',
    ]) {
      expect(outputs).toContain(o);
    }
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding', () => {
    const report = s.nag.validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });
});
