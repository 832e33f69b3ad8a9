// Small readers over synthesized templates, so assertions talk about functions, not logical IDs.
import type { Template } from 'aws-cdk-lib/assertions';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

export const resources = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.findResources(type) as Record<string, Resource>);

/** App functions by their POWERTOOLS_SERVICE_NAME. */
export const appFunctions = (t: Template): Map<string, [string, Resource]> => {
  const out = new Map<string, [string, Resource]>();
  for (const [id, r] of resources(t, 'AWS::Lambda::Function')) {
    const name = r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (name) out.set(name, [id, r]);
  }
  return out;
};

export const fnByName = (t: Template, name: string): [string, Resource] => {
  const f = appFunctions(t).get(name);
  if (!f) throw new Error(`no function ${name} in template`);
  return f;
};

/** Role logical ID of a function. */
export const roleOf = (fn: Resource): string => fn.Properties.Role['Fn::GetAtt'][0];

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement granted to a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
export const statementsOf = (t: Template, roleId: string): Statement[] => {
  const out: Statement[] = [];
  const role = t.toJSON().Resources[roleId] as Resource;
  for (const p of role.Properties.Policies ?? []) out.push(...p.PolicyDocument.Statement);
  for (const [, p] of resources(t, 'AWS::IAM::Policy')) {
    if ((p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId }))) {
      out.push(...p.Properties.PolicyDocument.Statement);
    }
  }
  return out;
};

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

export const allActions = (t: Template, roleId: string): string[] => statementsOf(t, roleId).flatMap(actionsOf);

/** Statements that allow an action (exact, or by a `service:*` wildcard). */
export const statementsAllowing = (t: Template, roleId: string, action: string): Statement[] =>
  statementsOf(t, roleId).filter((s) =>
    actionsOf(s).some((a) => a === action || a === '*' || (a.endsWith('*') && action.startsWith(a.slice(0, -1)))),
  );

/** Export name of an `Fn::ImportValue` (cross-stack reference), for matching resources across stacks. */
export const importName = (v: unknown): string | undefined => (v as { 'Fn::ImportValue'?: string })?.['Fn::ImportValue'];
