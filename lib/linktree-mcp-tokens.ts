// The OAuth tokens of Linktree's MCP server (stage origin `linktree-mcp`, contract 3.3): one
// Secrets Manager secret, created holding `{}` (a placeholder: no token is ever in the template)
// and filled by `LINKTREE_MCP_TOKENS=<its ARN> npm run linktree:login` with AWS credentials.
// The read-path functions refresh the access token and write the rotated tokens back, so each may
// GetSecretValue and PutSecretValue on exactly this secret and nothing else.
import { type RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface LinktreeMcpTokensProps {
  removalPolicy: RemovalPolicy;
}

export class LinktreeMcpTokens extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: LinktreeMcpTokensProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        "LinkCache LINKTREE_MCP_TOKENS: OAuth tokens of Linktree's MCP server. Placeholder {} until `npm run linktree:login`; rotated by the functions.",
      // Not a secret: the empty placeholder the login overwrites.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotated by the application itself: every refresh rotates the refresh token and the functions write the new tokens back; a Secrets Manager rotation Lambda would break that chain.',
    });
  }

  /** Read and write back this secret only (the refresh rotates the refresh token). */
  grantReadWrite(fn: lambda.IFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
  }
}
