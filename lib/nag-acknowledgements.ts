// Every cdk-nag (AwsSolutions) finding that is accepted rather than fixed, each on the narrowest
// construct that raises it, with its reason. docs/deploy.md lists them for reviewers.

import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EdgeStack } from './edge-stack.ts';
import type { ServiceStack } from './service-stack.ts';
import type { ResolvedStage } from './stage-config.ts';
import type { StatefulStack } from './stateful-stack.ts';

export interface NagScopes {
  stateful: StatefulStack;
  service: ServiceStack;
  edge?: EdgeStack;
  config: ResolvedStage;
}

const ack = (scope: IConstruct, id: string, reason: string): void => Validations.of(scope).acknowledge({ id, reason });

export const acknowledgeNagFindings = ({ stateful, service, edge, config }: NagScopes): void => {
  for (const [name, f] of Object.entries(service.functions)) {
    ack(
      f.fn.role ?? f,
      'AwsSolutions-IAM5[Resource::*]',
      `Function ${name}: the VPC ENI actions (ec2:CreateNetworkInterface, ...) and X-Ray (xray:PutTraceSegments, PutTelemetryRecords) support no resource-level permissions; every other statement names its resource.`,
    );
  }

  ack(
    service.api.api,
    'AwsSolutions-APIG4',
    'Authorization is per route in the handlers: public reads and pages are public by design; /webhooks/linktree verifies a Standard Webhooks HMAC signature; private routes verify the ADMIN_TOKEN bearer token (constant-time) and answer 401. An API Gateway authorizer would add latency and cost to every public read.',
  );

  const db = stateful.database;
  ack(
    db.cluster,
    'AwsSolutions-RDS6',
    'Lambdas connect through RDS Proxy with the generated password (read from Secrets Manager by the extension) over TLS the proxy requires; the database accepts connections only from the proxy security group.',
  );
  if (!config.isProd) {
    ack(db.cluster, 'AwsSolutions-RDS10', `Stage ${config.stage} is disposable: deletion protection is on in prod only.`);
  }
  // cluster.secret is the attachment; the finding is on the generated secret itself.
  ack(
    db.cluster.node.findChild('Secret'),
    'AwsSolutions-SMG4',
    'Not rotated automatically: RDS Proxy picks up a rotated password, but Lambda containers cache the secret for their lifetime, so rotation is a planned operation (docs/deploy.md).',
  );
  ack(
    stateful.salts.table,
    'AwsSolutions-DDB3',
    "The visitors' daily salts must be gone 48 h after they are made (contract): point-in-time recovery would keep them for 35 days.",
  );
  const secrets = stateful.secrets;
  ack(
    secrets.webhookSecretGenerator.role ?? secrets.webhookSecretGenerator,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray (xray:PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions; PutSecretValue and logs name their resources.',
  );
  ack(
    secrets.originApiKey,
    'AwsSolutions-SMG4',
    'Issued by the origin provider; the operator rotates it there and puts the new value (docs/deploy.md).',
  );
  ack(
    secrets.webhookSecret,
    'AwsSolutions-SMG4',
    'Shared with the webhook sender: rotation needs the sender to switch too (Standard Webhooks allows several signatures during the overlap); done by the operator.',
  );
  ack(
    secrets.adminToken,
    'AwsSolutions-SMG4',
    'Static bearer token for operators; rotated by hand with put-secret-value (docs/deploy.md).',
  );

  if (config.cacheMode === 'replication-group') {
    ack(
      stateful.cache.resource,
      'AwsSolutions-AEC6',
      'No AUTH/RBAC user: in-transit encryption is required and only the Lambda security group can reach the cache; IAM auth would add a token signer to every cold start.',
    );
  }

  if (edge) {
    const distribution = edge.cdn.distribution;
    ack(distribution, 'AwsSolutions-CFR1', 'A link-in-bio service is global: no geo restriction.');
    ack(
      distribution,
      'AwsSolutions-CFR3',
      'Requests are logged by the HTTP API access log and sampled by WAF; CloudFront standard logs would need an ACL-enabled S3 bucket for little extra.',
    );
    ack(
      distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate cannot pin TLSv1.2; attach a custom domain and certificate to enforce it (minimumProtocolVersion is already TLSv1.2_2021).',
    );
    const invalidation = edge.invalidation;
    ack(
      invalidation.invalidator.fn.role ?? invalidation.invalidator,
      'AwsSolutions-IAM5[Resource::*]',
      'Function cdn-invalidator: X-Ray (xray:PutTraceSegments, PutTelemetryRecords) supports no resource-level permissions; CreateInvalidation names the distribution and SendMessage the on-failure queue.',
    );
    ack(
      invalidation.failed,
      'AwsSolutions-SQS3',
      "This queue is a dead-letter queue itself: the invalidator's on-failure destination, where Lambda puts notices it gave up on after its retries.",
    );
  }
};
