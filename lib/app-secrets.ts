// Application secrets in Secrets Manager. No value ever appears in the template or a parameter:
// - ORIGIN_API_KEY: a generated placeholder; the operator puts the real key after deploy.
// - ADMIN_TOKEN: generated (48 alphanumeric characters).
// - WEBHOOK_SECRET: Standard Webhooks form `whsec_<base64 of 32 random bytes>`. Secrets Manager
//   cannot generate that shape, so a one-shot custom resource writes it on create; the value
//   goes straight from the Lambda to Secrets Manager (never into a CloudFormation response).

import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { retentionFor } from './constructs/service-function.ts';

export interface AppSecretsProps {
  removalPolicy: RemovalPolicy;
  logRetentionDays: number;
}

/**
 * Inline handler of the webhook-secret custom resource (CommonJS; the Node 24 runtime provides
 * the AWS SDK v3). Only Create, or an Update that points it at another secret, writes a value:
 * a rotated secret is never overwritten by a later deploy.
 */
export const WEBHOOK_SECRET_GENERATOR_CODE = `
const { SecretsManagerClient, PutSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const { randomBytes } = require('node:crypto');
const sm = new SecretsManagerClient({});
exports.handler = async (event) => {
  let status = 'SUCCESS';
  let reason = 'ok';
  const physicalId = event.PhysicalResourceId || 'webhook-secret-' + event.RequestId;
  try {
    const arn = event.ResourceProperties.SecretArn;
    const moved = event.RequestType === 'Update' && event.OldResourceProperties.SecretArn !== arn;
    if (event.RequestType === 'Create' || moved) {
      await sm.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'whsec_' + randomBytes(32).toString('base64') }));
    }
  } catch (err) {
    status = 'FAILED';
    reason = String((err && err.message) || err).slice(0, 500);
  }
  const body = JSON.stringify({
    Status: status, Reason: reason, PhysicalResourceId: physicalId, StackId: event.StackId,
    RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: true, Data: {},
  });
  await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
};
`;

export class AppSecrets extends Construct {
  readonly originApiKey: secretsmanager.Secret;
  readonly webhookSecret: secretsmanager.Secret;
  readonly adminToken: secretsmanager.Secret;
  readonly webhookSecretGenerator: lambda.Function;

  constructor(scope: Construct, id: string, props: AppSecretsProps) {
    super(scope, id);
    const generated = (length: number): secretsmanager.SecretStringGenerator => ({
      passwordLength: length,
      excludePunctuation: true,
      includeSpace: false,
    });

    this.originApiKey = new secretsmanager.Secret(this, 'OriginApiKey', {
      description:
        'LinkCache ORIGIN_API_KEY: bearer token for the profile origin. Placeholder until the operator puts the real key.',
      generateSecretString: generated(32),
      removalPolicy: props.removalPolicy,
    });
    this.adminToken = new secretsmanager.Secret(this, 'AdminToken', {
      description: 'LinkCache ADMIN_TOKEN: bearer token for the private routes.',
      generateSecretString: generated(48),
      removalPolicy: props.removalPolicy,
    });
    this.webhookSecret = new secretsmanager.Secret(this, 'WebhookSecret', {
      description: 'LinkCache WEBHOOK_SECRET: Standard Webhooks signing secret (whsec_<base64>), written by a custom resource.',
      // Replaced on create by the generator below; never used as is.
      generateSecretString: generated(32),
      removalPolicy: props.removalPolicy,
    });

    const generatorLogs = new logs.LogGroup(this, 'WebhookSecretGeneratorLogs', {
      retention: retentionFor(props.logRetentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const generatorRole = new iam.Role(this, 'WebhookSecretGeneratorRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes the generated webhook secret',
      inlinePolicies: {
        write: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [this.webhookSecret.secretArn] }),
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [generatorLogs.logGroupArn],
            }),
          ],
        }),
      },
    });
    const generator = new lambda.Function(this, 'WebhookSecretGenerator', {
      description: 'Generates the whsec_ webhook secret once',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(WEBHOOK_SECRET_GENERATOR_CODE),
      timeout: Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role: generatorRole,
      logGroup: generatorLogs,
    });
    this.webhookSecretGenerator = generator;
    const resource = new CustomResource(this, 'WebhookSecretValue', {
      serviceToken: generator.functionArn,
      resourceType: 'Custom::WebhookSecret',
      properties: { SecretArn: this.webhookSecret.secretArn },
    });
    resource.node.addDependency(generatorRole);
  }
}
