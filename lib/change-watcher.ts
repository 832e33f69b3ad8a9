// The change watcher (contract 3.4) in AWS: an EventBridge Scheduler schedule invoking the watcher
// function, which re-reads the hot profiles from the origin within its share of the budget. Only
// deployed where the stage's watch interval is above 0 (by default: the Linktree origins).
//   - Scheduler's rates are whole minutes: the schedule runs every WATCH_INTERVAL_S rounded up to
//     minutes (at least one); an interval under a minute is covered by runs looped inside each
//     invocation (lambdas/watcher/handler.ts).
//   - No retries and a short event age: a missed run is covered by the next one, and a late
//     retry would only overlap it. Reserved concurrency 1: runs never overlap across invocations.
//   - Scheduler's role may invoke exactly the function (aws-scheduler-targets' LambdaInvoke would
//     grant every version and alias too, `<arn>:*`), hence a target of our own.
//   - In the VPC's egress subnets (the origin is on the internet), with Redis (hot set, snapshots,
//     the shared bucket), the events queue (send only) and the origin API key (read only).

import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { watchIntervalS, watchSchedulePeriodS } from '../lambdas/core/change-watcher.ts';
import { type FunctionDefaults, type FunctionEnv, ServiceFunction } from './constructs/service-function.ts';
import type { ResolvedStage } from './stage-config.ts';

/** The stage's watch interval: its `watchIntervalS`, or (at -1, the default) its origin's default. */
export const stageWatchIntervalS = (c: Pick<ResolvedStage, 'watchIntervalS' | 'origin'>): number =>
  watchIntervalS(c.watchIntervalS >= 0 ? c.watchIntervalS : undefined, c.origin);

/** Invocations last one schedule period at most (a run loop), capped: Lambda allows 15 minutes. */
export const MAX_WATCHER_TIMEOUT_S = 300;

/** Time the function gets: its schedule period (capped) plus what a last check may still take. */
export const watcherTimeoutS = (intervalS: number): number =>
  Math.min(watchSchedulePeriodS(intervalS), MAX_WATCHER_TIMEOUT_S) + 15;

export interface ChangeWatcherProps {
  defaults: FunctionDefaults;
  /** Subnets with a route to the origin. */
  subnets: ec2.SubnetSelection;
  cacheEnv: FunctionEnv;
  originEnv: FunctionEnv;
  intervalS: number;
  hotS: number;
  budgetShare: number;
  originApiKey: secretsmanager.ISecret;
  eventsQueue: sqs.IQueue;
}

export class ChangeWatcher extends Construct {
  readonly watcher: ServiceFunction;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ChangeWatcherProps) {
    super(scope, id);
    if (props.intervalS <= 0) throw new Error('the change watcher is deployed only with a watch interval above 0');
    const periodS = watchSchedulePeriodS(props.intervalS);
    this.watcher = new ServiceFunction(this, 'Watcher', {
      ...props.defaults,
      vpcSubnets: props.subnets,
      name: 'watcher',
      description: 'Change watcher: re-reads hot profiles within its budget share, applies changes like a webhook',
      timeout: Duration.seconds(watcherTimeoutS(props.intervalS)),
      reservedConcurrentExecutions: 1,
      environment: {
        ...props.cacheEnv,
        ...props.originEnv,
        EVENTS_QUEUE_URL: props.eventsQueue.queueUrl,
        WATCH_INTERVAL_S: props.intervalS,
        WATCH_HOT_S: props.hotS,
        WATCH_BUDGET_SHARE: props.budgetShare,
      },
      secrets: { ORIGIN_API_KEY: props.originApiKey },
    });
    props.eventsQueue.grantSendMessages(this.watcher.fn);

    const role = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: invoke the change watcher',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.watcher.fn.functionArn] }));
    const fnArn = this.watcher.fn.functionArn;
    const target: scheduler.IScheduleTarget = {
      bind: () => ({ arn: fnArn, role, retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 } }),
    };
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Runs the change watcher every ${periodS / 60} min (WATCH_INTERVAL_S=${props.intervalS})`,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(periodS / 60)),
      target,
    });
  }
}
