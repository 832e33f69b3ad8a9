// Builds the CDK app the way `cdk synth` does (cdk.json context + overrides), once per test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Route } from '../../lambdas/contracts/routes.ts';
import { buildApp, type LinkCacheApp } from '../../lib/app.ts';
import { REPO_ROOT } from '../../lib/constructs/service-function.ts';

export const cdkContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

export interface Synthesized extends LinkCacheApp {
  stateful: LinkCacheApp['stateful'];
  statefulTemplate: Template;
  serviceTemplate: Template;
  edgeTemplate?: Template;
}

export const synth = (
  overrides: Record<string, unknown> = {},
  opts: { bundle?: boolean; region?: string; routes?: readonly Route[] } = {},
): Synthesized => {
  const context: Record<string, unknown> = { ...cdkContext(), ...overrides };
  // Bundling runs esbuild per function; only the bundle test needs real assets.
  if (!opts.bundle) context['aws:cdk:bundling-stacks'] = [];
  const built = buildApp({ context, region: opts.region, routes: opts.routes });
  return {
    ...built,
    statefulTemplate: Template.fromStack(built.stateful),
    serviceTemplate: Template.fromStack(built.service),
    edgeTemplate: built.edge ? Template.fromStack(built.edge) : undefined,
  };
};
