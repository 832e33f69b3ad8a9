// CloudFront and its WAF web ACL (context `cdn=true`). A CLOUDFRONT-scope web ACL can only be
// created in us-east-1, so this stack lives there and reads the API's host name across regions.
// Next to the distribution, the invalidator that purges changed profiles' paths, subscribed to the
// service stack's topic across regions (lib/cdn-invalidation.ts).

import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { Cdn } from './cdn.ts';
import { CdnInvalidator } from './cdn-invalidation.ts';
import type { ResolvedStage } from './stage-config.ts';

export interface EdgeStackProps extends StackProps {
  config: ResolvedStage;
  apiDomain: string;
  /** The service stack's cdn-invalidations topic. */
  invalidationTopic: sns.Topic;
}

export class EdgeStack extends Stack {
  readonly cdn: Cdn;
  readonly invalidation: CdnInvalidator;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.cdn = new Cdn(this, 'Cdn', {
      apiDomain: props.apiDomain,
      wafRateLimit: props.config.wafRateLimit,
      corsOrigins: props.config.corsOrigins,
    });
    this.invalidation = new CdnInvalidator(this, 'CdnInvalidation', {
      config: props.config,
      distribution: this.cdn.distribution,
      topic: props.invalidationTopic,
      logRetentionDays: props.config.logRetentionDays,
      removalPolicy: props.config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'CloudFrontUrl', { value: `https://${this.cdn.distribution.distributionDomainName}/` });
  }
}
