// Purging CloudFront when profiles change (context `cdn=true`), across the two regions:
//   - CdnInvalidationTopic (service stack, the main region): the SNS topic the consumer announces
//     each batch's changed usernames on, and the SNS interface endpoint the consumer reaches it
//     through from its isolated subnets;
//   - CdnInvalidator (edge stack, us-east-1, next to the distribution): the function subscribed to
//     that topic across regions, which turns usernames into CloudFront paths and invalidates them,
//     with Lambda's asynchronous retries, an on-failure queue and alarms.
// The edge stack depends on the service stack (it needs the API's host name), so the topic is
// made here and handed over; the service stack never names the distribution.

import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ServiceFunction } from './constructs/service-function.ts';
import { alarmTopic } from './observability.ts';
import type { ResolvedStage } from './stage-config.ts';

export interface CdnInvalidationTopicProps {
  stage: string;
  vpc: ec2.IVpc;
  /** Where the endpoint's interfaces go: the consumer's (isolated) subnets. */
  subnets: ec2.SubnetSelection;
  /** The Lambdas' security group: the only one allowed to reach the endpoint. */
  lambdaSg: ec2.ISecurityGroup;
}

export class CdnInvalidationTopic extends Construct {
  readonly topic: sns.Topic;
  readonly endpoint: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: CdnInvalidationTopicProps) {
    super(scope, id);
    // The AWS-managed SNS key: the publisher (the consumer's role) and the Lambda subscription
    // need no key policy of ours, and no key to pay for; only AWS services publishing (CloudWatch)
    // would need a customer key.
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `LinkCache ${props.stage} cdn-invalidations`,
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });

    // The consumer runs in isolated subnets (no route out): SNS is reached through its own
    // interface endpoint, which lets nothing through but Publish to this topic.
    const sg = new ec2.SecurityGroup(this, 'EndpointSg', {
      vpc: props.vpc,
      description: 'LinkCache SNS endpoint: HTTPS from the Lambdas only',
      allowAllOutbound: false,
    });
    sg.addIngressRule(props.lambdaSg, ec2.Port.tcp(443), 'SNS from Lambdas');
    this.endpoint = new ec2.InterfaceVpcEndpoint(this, 'SnsEndpoint', {
      vpc: props.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.SNS,
      subnets: props.subnets,
      securityGroups: [sg],
      privateDnsEnabled: true,
      open: false,
    });
    this.endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
  }
}

export interface CdnInvalidatorProps {
  config: ResolvedStage;
  distribution: cloudfront.Distribution;
  /** CdnInvalidationTopic.topic, from the service stack (a cross-region reference unless both are in us-east-1). */
  topic: sns.Topic;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

/**
 * How long one invocation may keep trying while CloudFront has too many invalidations in
 * progress; with Lambda's two retries (after about 1 and 2 minutes) a notice is given up to the
 * on-failure queue after roughly 20 minutes of CloudFront being full.
 */
const INVALIDATOR_TIMEOUT = Duration.minutes(5);

export class CdnInvalidator extends Construct {
  readonly invalidator: ServiceFunction;
  /** Notices Lambda gave up on (after its retries): replay with `aws lambda invoke`. */
  readonly failed: sqs.Queue;
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: CdnInvalidatorProps) {
    super(scope, id);
    const { config } = props;

    this.failed = new sqs.Queue(this, 'Failed', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });

    this.invalidator = new ServiceFunction(this, 'Invalidator', {
      name: 'cdn-invalidator',
      description: 'Invalidates the CloudFront paths of changed profiles',
      logRetentionDays: props.logRetentionDays,
      removalPolicy: props.removalPolicy,
      timeout: INVALIDATOR_TIMEOUT,
      memorySize: 256,
      environment: {
        CDN_DISTRIBUTION_ID: props.distribution.distributionId,
        // The profile functions' in-process freshness: the invalidator waits it out after a change.
        L1_TTL_S: config.l1TtlS,
      },
    });
    props.distribution.grantCreateInvalidation(this.invalidator.fn);
    // SNS invokes asynchronously: Lambda retries a failed notice twice, then hands it to the
    // on-failure queue; throttled invocations it keeps trying for up to 6 hours.
    this.invalidator.fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failed),
    });
    // Cross-region: the subscription is created in the topic's region (CDK sets its Region).
    props.topic.addSubscription(new subscriptions.LambdaSubscription(this.invalidator.fn));
    // cfn-lint cannot see through the cross-region reader that the permission's SourceArn is the topic's ARN.
    for (const permission of this.invalidator.fn.node.children.filter((c) => c instanceof lambda.CfnPermission)) {
      Validations.of(permission).acknowledge({
        id: 'CloudFormation-Validate::W3664',
        reason: 'SourceArn is the cdn-invalidations topic ARN, read across regions (Custom::CrossRegionExportReader).',
      });
    }

    // Alarms can only notify a topic in their own region: the edge stack has its own.
    this.alarmTopic = alarmTopic(this, config);
    const action = new actions.SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    alarm('InvalidatorErrors', {
      alarmDescription:
        'The CDN invalidator failed invocations (CloudFront full for minutes, or refusing): changed profiles stay cached at the edge until their max-age; Lambda retries them.',
      metric: this.invalidator.fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    alarm('InvalidationsFailed', {
      alarmDescription:
        'CDN invalidation notices were given up after Lambda retries (on-failure queue): replay them (docs/deploy.md, CloudFront and freshness).',
      metric: this.failed.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
