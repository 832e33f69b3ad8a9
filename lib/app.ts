// Builds the whole app for one stage; bin/app.ts and the infra tests both call this.

import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Route } from '../lambdas/contracts/routes.ts';
import { EdgeStack } from './edge-stack.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { ServiceStack } from './service-stack.ts';
import { type ResolvedStage, resolveStage } from './stage-config.ts';
import { StatefulStack } from './stateful-stack.ts';

export interface LinkCacheApp {
  app: App;
  config: ResolvedStage;
  stateful: StatefulStack;
  service: ServiceStack;
  edge?: EdgeStack;
  nag: AwsSolutionsChecks;
}

export interface BuildOptions extends AppProps {
  /** Region of the stateful and service stacks; needed only with `cdn=true` (cross-region reference to us-east-1). */
  region?: string;
  routes?: readonly Route[];
}

export const buildApp = (options: BuildOptions = {}): LinkCacheApp => {
  const app = new App(options);
  const config = resolveStage(app.node);
  const prefix = `LinkCache-${config.stage}`;

  // Without cdn the stacks are environment-agnostic: synth needs no account, region or lookups.
  const region = options.region ?? process.env.CDK_DEFAULT_REGION;
  if (config.cdn && !region) {
    throw new Error(
      'cdn=true needs the target region (AWS_REGION / CDK_DEFAULT_REGION): the WAF web ACL lives in us-east-1 and is wired across regions',
    );
  }
  const env = config.cdn ? { region } : undefined;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    config,
    env,
    description: `LinkCache ${config.stage}: network, cache, database, queues, table, secrets`,
  });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    config,
    stateful,
    env,
    crossRegionReferences: config.cdn && region !== 'us-east-1',
    routes: options.routes,
    description: `LinkCache ${config.stage}: functions, HTTP API, alarms`,
  });
  service.addStackDependency(stateful);
  let edge: EdgeStack | undefined;
  if (config.cdn && service.cdnInvalidations) {
    edge = new EdgeStack(app, `${prefix}-Edge`, {
      config,
      apiDomain: service.apiDomain,
      invalidationTopic: service.cdnInvalidations.topic,
      env: { region: 'us-east-1' },
      crossRegionReferences: region !== 'us-east-1',
      description: `LinkCache ${config.stage}: CloudFront and WAF`,
    });
    edge.addStackDependency(service);
  }
  Tags.of(app).add('app', 'linkcache');
  Tags.of(app).add('stage', config.stage);

  const nag = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(nag);
  acknowledgeNagFindings({ stateful, service, edge, config });
  return { app, config, stateful, service, edge, nag };
};
