// Alarms (all to one SNS topic) and the operations dashboard.

import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRIC_NAMESPACE,
  METRIC_SERVICES,
  type MetricName,
  MetricNames,
  SERVICE_DIMENSION,
} from '../lambdas/contracts/metrics.ts';
import type { ResolvedStage } from './stage-config.ts';

export interface ObservabilityProps {
  config: ResolvedStage;
  api: apigwv2.HttpApi;
  functions: Record<string, lambda.IFunction>;
  queue: sqs.IQueue;
  dlq: sqs.IQueue;
}

const FIVE_MINUTES = Duration.minutes(5);

/** A custom metric summed over every `service` dimension value (missing data counts as 0). */
export const sumOverServices = (name: MetricName, period: Duration = FIVE_MINUTES): cloudwatch.MathExpression => {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  for (const service of METRIC_SERVICES) {
    usingMetrics[`${name.toLowerCase()}_${service}`] = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: service },
      statistic: cloudwatch.Stats.SUM,
      period,
    });
  }
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label: name,
    period,
  });
};

/**
 * An alarm topic: encrypted with its own key, which CloudWatch may use (the AWS-managed SNS key
 * does not let CloudWatch publish), TLS only, with the stage's alarm email. Alarms can only notify
 * a topic in their own region, so the edge stack (us-east-1) has one of these too.
 */
export const alarmTopic = (scope: Construct, config: Pick<ResolvedStage, 'stage' | 'alarmEmail'>): sns.Topic => {
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'LinkCache alarm topic',
    enableKeyRotation: true,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    displayName: `LinkCache ${config.stage} alarms`,
    masterKey: key,
    enforceSSL: true,
  });
  if (config.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));
  return topic;
};

export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { config } = props;

    this.topic = alarmTopic(this, config);
    const action = new actions.SnsAction(this.topic);

    const alarm = (id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(action);
      this.alarms.push(a);
      return a;
    };

    alarm('DlqMessages', {
      alarmDescription: 'Events failed processing maxReceiveCount times and sit in the DLQ (npm run dlq to inspect and redrive).',
      metric: props.dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('QueueAge', {
      alarmDescription: `The oldest event has waited more than ${config.queueAgeAlarmS} s: the consumer is behind or failing.`,
      metric: props.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: config.queueAgeAlarmS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      const Name = name[0].toUpperCase() + name.slice(1);
      alarm(`${Name}Errors`, {
        alarmDescription: `Function ${name} failed invocations.`,
        metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(`${Name}Throttles`, {
        alarmDescription: `Function ${name} was throttled.`,
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }

    const requests = props.api.metricCount({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const serverErrors = props.api.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors: serverErrors, requests },
      label: 'API 5xx %',
      period: FIVE_MINUTES,
    });
    alarm('Api5xxRate', {
      alarmDescription: `More than ${config.api5xxRatePercent}% of API requests answered 5xx.`,
      metric: errorRate,
      threshold: config.api5xxRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    const p99 = props.api.metricLatency({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) });
    alarm('ApiP99Latency', {
      alarmDescription: `API p99 latency above ${config.apiP99LatencyMs} ms.`,
      metric: p99,
      threshold: config.apiP99LatencyMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    alarm('OriginThrottled', {
      alarmDescription: 'The origin answered 429 or the rate budget refused calls: reads are served stale or fail.',
      metric: sumOverServices(MetricNames.OriginThrottled),
      threshold: config.originThrottledAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    // One unreadable answer already means Linktree changed its pages (or MCP outputs): no retry fixes it.
    alarm('OriginShapeChanged', {
      alarmDescription:
        'The origin answered in a shape this service cannot read (Linktree changed its page or MCP outputs): reads are served stale or fail with 503 until the adapter is updated.',
      metric: sumOverServices(MetricNames.OriginShapeChanged),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    // The consumer reports failed records instead of throwing (partial batch responses), so
    // Lambda's Errors metric stays flat during a database outage: alarm on its own count.
    alarm('ConsumerBatchFailed', {
      alarmDescription:
        'Consumer batches failed (database unreachable, or split budget spent): events wait on the queue with growing backoff.',
      metric: sumOverServices(MetricNames.ConsumerBatchFailed),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
    });
    alarm('EventsRejected', {
      alarmDescription:
        'The consumer set events aside instead of counting them (poison, malformed, or older than the exactly-once ledger): see the rejected_events table.',
      metric: sumOverServices(MetricNames.EventsRejected),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('ClickEventsDropped', {
      alarmDescription: 'Click or view events could not be enqueued and were lost.',
      metric: sumOverServices(MetricNames.ClickEventsDropped),
      threshold: config.clickEventsDroppedAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });

    const hits = sumOverServices(MetricNames.CacheHit);
    const misses = sumOverServices(MetricNames.CacheMiss);
    const stale = sumOverServices(MetricNames.CacheStale);
    const hitRatio = new cloudwatch.MathExpression({
      expression: 'IF(hit + miss + stale > 0, 100 * hit / (hit + miss + stale), 0)',
      usingMetrics: { hit: hits, miss: misses, stale },
      label: 'Cache hit %',
      period: FIVE_MINUTES,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `LinkCache-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Cache hit ratio (%)', left: [hitRatio], leftYAxis: { min: 0, max: 100 }, width: 8 }),
      new cloudwatch.GraphWidget({ title: 'Cache results', left: [hits, misses, stale], stacked: true, width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Origin calls',
        left: [sumOverServices(MetricNames.OriginCalls)],
        right: [sumOverServices(MetricNames.OriginThrottled)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events queue depth',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ],
        right: [
          props.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Consumer throughput (events applied)',
        left: [sumOverServices(MetricNames.EventsApplied, Duration.minutes(1))],
        right: [sumOverServices(MetricNames.ClickEventsDropped, Duration.minutes(1))],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'DLQ depth',
        left: [
          props.dlq.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'API requests and 5xx', left: [requests, serverErrors], right: [errorRate], width: 8 }),
      new cloudwatch.GraphWidget({ title: 'API p99 latency (ms)', left: [p99], width: 8 }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 8 }),
    );
    // Only where a stage deploys the change watcher (its interval > 0).
    if (props.functions.watcher) {
      const minute = Duration.minutes(1);
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Change watcher: profiles checked and changes found',
          left: [sumOverServices(MetricNames.WatcherChecked, minute)],
          right: [sumOverServices(MetricNames.WatcherChanges, minute)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Change watcher: budget used (tokens a minute)',
          left: [sumOverServices(MetricNames.WatcherBudgetUsed, minute)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Change watcher: failures',
          left: [sumOverServices(MetricNames.WatcherFailures, minute)],
          width: 8,
        }),
      );
    }
  }
}
