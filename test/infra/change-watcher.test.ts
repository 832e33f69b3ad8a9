// The change watcher in AWS: deployed only where the stage's watch interval is above 0, as an
// EventBridge Scheduler schedule invoking the watcher function, with least-privilege grants.
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stageWatchIntervalS, watcherTimeoutS } from '../../lib/change-watcher.ts';
import { resolveStage } from '../../lib/stage-config.ts';
import { cdkContext, type Synthesized, synth } from './fixture.ts';
import { allActions, fnByName, resources, roleOf, statementsAllowing } from './helpers.ts';

const resolve = (ctx: Record<string, unknown>) => resolveStage(new App({ context: { ...cdkContext(), ...ctx } }).node);

describe('stage watch interval', () => {
  it('defaults by origin (60 s for the Linktree origins, off for http), and takes the stage value', () => {
    expect(stageWatchIntervalS(resolve({ stage: 'dev' }))).toBe(0);
    expect(stageWatchIntervalS(resolve({ origin: 'linktree' }))).toBe(60);
    expect(stageWatchIntervalS(resolve({ origin: 'linktree-mcp' }))).toBe(60);
    expect(stageWatchIntervalS(resolve({ origin: 'linktree', watchIntervalS: '0' }))).toBe(0);
    expect(stageWatchIntervalS(resolve({ watchIntervalS: '20' }))).toBe(20);
  });

  it('refuses values WATCH_* would refuse', () => {
    expect(() => resolve({ watchIntervalS: '-2' })).toThrow(/watchIntervalS must be/);
    expect(() => resolve({ watchIntervalS: '1.5' })).toThrow(/watchIntervalS must be/);
    expect(() => resolve({ watchHotS: '10' })).toThrow(/watchHotS must be/);
    expect(() => resolve({ watchBudgetShare: '1.5' })).toThrow(/watchBudgetShare must be/);
  });

  it('gives the function its schedule period plus room for a last check, capped', () => {
    expect(watcherTimeoutS(20)).toBe(75);
    expect(watcherTimeoutS(150)).toBe(195);
    expect(watcherTimeoutS(3_600)).toBe(315);
  });
});

describe('change watcher deployed (origin=linktree, watchIntervalS=150)', () => {
  let s: Synthesized;
  const t = () => s.serviceTemplate;
  it('synthesizes', () => {
    s = synth({ origin: 'linktree', watchIntervalS: '150', watchBudgetShare: '0.25' });
  }, 120_000);

  it('has a schedule at the interval rounded up to minutes, targeting the watcher function, without retries', () => {
    // Besides the analytics rollup's own schedule (test/infra/stacks.test.ts).
    const schedules = resources(t(), 'AWS::Scheduler::Schedule').filter(([id]) => id.includes('ChangeWatcher'));
    expect(schedules).toHaveLength(1);
    const [, schedule] = schedules[0];
    expect(schedule.Properties.ScheduleExpression).toBe('rate(3 minutes)');
    expect(schedule.Properties.State).not.toBe('DISABLED');
    const [fnId] = fnByName(t(), 'watcher');
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    // Scheduler's role may invoke exactly that function.
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    const invoke = statementsAllowing(t(), roleId, 'lambda:InvokeFunction');
    expect(invoke.length).toBeGreaterThan(0);
    expect(JSON.stringify(invoke.map((x) => x.Resource))).toContain(fnId);
    expect(allActions(t(), roleId).every((a) => a === 'lambda:InvokeFunction')).toBe(true);
  });

  it('runs the function in the VPC, one at a time, with the watcher settings and the origin settings', () => {
    const [, fn] = fnByName(t(), 'watcher');
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBeGreaterThan(0);
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Timeout).toBe(watcherTimeoutS(150));
    const env = fn.Properties.Environment.Variables;
    expect(env).toMatchObject({ WATCH_INTERVAL_S: '150', WATCH_HOT_S: '3600', WATCH_BUDGET_SHARE: '0.25', ORIGIN: 'linktree' });
    expect(env.REDIS_URL).toBeDefined();
    expect(env.EVENTS_QUEUE_URL).toBeDefined();
    expect(env.ORIGIN_API_KEY_SECRET_ARN).toBeDefined();
    // The read path records reads into the hot set only while the watcher is on.
    expect(fnByName(t(), 'profile')[1].Properties.Environment.Variables.WATCH_INTERVAL_S).toBe('150');
  });

  it('grants sending to the events queue and reading the origin key, and nothing else of the kind', () => {
    const [, fn] = fnByName(t(), 'watcher');
    const actions = allActions(t(), roleOf(fn));
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 'secretsmanager:GetSecretValue']));
    for (const a of actions) expect(a).not.toMatch(/^(dynamodb|sqs:ReceiveMessage|sqs:DeleteMessage|rds|cloudfront|sns):?/);
    const secrets = statementsAllowing(t(), roleOf(fn), 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
  });

  it('gets the usual alarms and the dashboard widgets', () => {
    const alarms = resources(t(), 'AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarms.some((id) => id.includes('WatcherErrors'))).toBe(true);
    const [, dashboard] = resources(t(), 'AWS::CloudWatch::Dashboard')[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const m of ['WatcherChecked', 'WatcherChanges', 'WatcherBudgetUsed', 'WatcherFailures']) expect(body).toContain(m);
  });
});

describe('change watcher off (the default http stage)', () => {
  it('deploys no schedule and no watcher function, and the read path records nothing', () => {
    const s = synth({ stage: 'dev' });
    expect(resources(s.serviceTemplate, 'AWS::Scheduler::Schedule').filter(([id]) => id.includes('ChangeWatcher'))).toHaveLength(
      0,
    );
    expect(() => fnByName(s.serviceTemplate, 'watcher')).toThrow(/no function watcher/);
    expect(fnByName(s.serviceTemplate, 'profile')[1].Properties.Environment.Variables.WATCH_INTERVAL_S).toBe('0');
    expect(JSON.stringify(resources(s.serviceTemplate, 'AWS::CloudWatch::Dashboard'))).not.toContain('WatcherChecked');
  }, 120_000);
});
