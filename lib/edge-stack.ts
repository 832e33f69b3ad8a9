// CloudFront and its WAF web ACL (context `cdn=true`). A CLOUDFRONT-scope web ACL can only be
// created in us-east-1, so this stack lives there and reads the API's host name across regions.

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Cdn } from './cdn.ts';
import type { ResolvedStage } from './stage-config.ts';

export interface EdgeStackProps extends StackProps {
  config: ResolvedStage;
  apiDomain: string;
}

export class EdgeStack extends Stack {
  readonly cdn: Cdn;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    this.cdn = new Cdn(this, 'Cdn', { apiDomain: props.apiDomain, wafRateLimit: props.config.wafRateLimit });
    new CfnOutput(this, 'CloudFrontUrl', { value: `https://${this.cdn.distribution.distributionDomainName}/` });
  }
}
