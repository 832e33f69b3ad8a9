// The visitors' daily salts (lambdas/adapters/dynamo-salt-store.ts): partition key `day`, expiry
// in the TTL attribute `expiration`. A salt must be gone 48 h after it was made, so nothing may
// keep a copy: no point-in-time recovery, no backups, no stream, and nothing retained on delete.

import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What the track function does with it: read a day, make it once, delete older days (a scan of a handful of items). */
export const SALTS_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'];

export class SaltsTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'day', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  grantSalts(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, ...SALTS_ACTIONS);
  }
}
