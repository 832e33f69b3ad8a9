// Scoped API keys (docs/api-keys.md): one item per key, partition key `hash` (SHA-256 of the key;
// the key itself is never stored), TTL attribute `expiration` some days after a key expires.
// Stateful like the other tables: on-demand, point-in-time recovery, encrypted, retained in prod.

import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What the key service does: one GetItem per uncached lookup, PutItem to make, Scan + UpdateItem to list and revoke. */
export const API_KEY_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Scan'];

export class ApiKeysTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'hash', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy,
    });
  }
}

/** The actions of API_KEY_ACTIONS on `table` only (no DeleteItem, batch or Query). */
export const grantApiKeys = (table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant =>
  table.grant(grantee, ...API_KEY_ACTIONS);
