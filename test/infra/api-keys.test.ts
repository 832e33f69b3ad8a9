// The scoped API keys' table and the one function that may use it, in the dev stage as `cdk synth` builds it.
import { type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiKeysTable } from '../../lib/api-keys-table.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synth } from './fixture.ts';
import { actionsOf, allActions, fnByName, roleOf, statementsAllowing } from './helpers.ts';

let dev: Synthesized;
beforeAll(() => {
  dev = synth({ stage: 'dev' });
}, 120_000);

const tableId = (s: Synthesized): string => s.stateful.getLogicalId(s.stateful.apiKeys.table.node.defaultChild as CfnElement);

describe('the API keys table', () => {
  it('is keyed by hash, on demand, with point-in-time recovery, encryption and the TTL attribute', () => {
    dev.statefulTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'hash', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'hash', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
  });

  it("takes the stateful stack's removal policy: disposable in dev, retained when asked (prod)", () => {
    expect(dev.statefulTemplate.toJSON().Resources[tableId(dev)].DeletionPolicy).toBe('Delete');
    const stack = new Stack();
    new ApiKeysTable(stack, 'Keys', { removalPolicy: RemovalPolicy.RETAIN });
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('is named to the admin function (the one with private routes) and to no other', () => {
    const [, admin] = fnByName(dev.serviceTemplate, 'admin');
    expect(admin.Properties.Environment.Variables.API_KEYS_TABLE).toEqual({
      'Fn::ImportValue': expect.stringMatching(new RegExp(`${tableId(dev)}`)),
    });
    for (const other of ['profile', 'site', 'track', 'webhook', 'consumer', 'migrate']) {
      const [, f] = fnByName(dev.serviceTemplate, other);
      expect({ other, v: f.Properties.Environment?.Variables?.API_KEYS_TABLE }).toEqual({ other, v: undefined });
    }
  });

  it('grants the admin function Get/Put/Update/Scan on that table only, and no other function anything on it', () => {
    const role = (name: string) => roleOf(fnByName(dev.serviceTemplate, name)[1]);
    const onTable = (name: string) =>
      statementsAllowing(dev.serviceTemplate, role(name), 'dynamodb:Scan')
        .concat(statementsAllowing(dev.serviceTemplate, role(name), 'dynamodb:GetItem'))
        .filter((st) => JSON.stringify(st.Resource).includes(tableId(dev)));
    const statements = onTable('admin');
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect(actionsOf(st).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
      const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
      expect(resources.every((r) => JSON.stringify(r).includes(`${tableId(dev)}Arn`))).toBe(true);
    }
    // No delete, batch or table-wide rights anywhere in the admin role.
    const admin = allActions(dev.serviceTemplate, role('admin'));
    expect(admin.filter((a) => /^dynamodb:(DeleteItem|Batch|DeleteTable|\*)/.test(a))).toEqual([]);
    for (const other of ['profile', 'site', 'track', 'webhook', 'consumer', 'migrate']) expect(onTable(other)).toEqual([]);
  });
});
