// The HTTP API (payload format 2.0): one route per entry of lambdas/contracts/routes.ts, the same table the
// local adapter dispatches on, so a route added there is deployed without touching this file. That
// table already holds what it implies: HEAD beside every GET (an HTTP API routes HEAD only to a
// HEAD route) and an OPTIONS route on every CORS path.
//
// CORS is the Lambdas' (lambdas/shared/cors.ts), not the API's: `corsPreflight` is deliberately
// unset. With it, API Gateway answers every OPTIONS itself and adds its CORS headers to every
// response whose request had an allowed Origin, on every route (the admin and webhook routes
// too), ignoring what the function answered; a private route would then be readable by any
// allowed site. The explicit OPTIONS routes reach the function that owns the path, whose kernel
// grants only the path's CORS methods.

import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionName, Route } from '../lambdas/contracts/routes.ts';
import { retentionFor } from './constructs/service-function.ts';

export interface HttpApiGatewayProps {
  routes: readonly Route[];
  functions: Record<FunctionName, lambda.IFunction>;
  rateLimit: number;
  burstLimit: number;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

export class HttpApiGateway extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HttpApiGatewayProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'LinkCache HTTP API',
      createDefaultStage: false,
      // No corsPreflight: see the top of this file.
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: retentionFor(props.logRetentionDays),
      removalPolicy: props.removalPolicy,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });

    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const seen = new Set<string>();
    for (const route of props.routes) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`Duplicate route ${key} in lambdas/contracts/routes.ts`);
      seen.add(key);
      const fn = props.functions[route.fn];
      if (!fn) throw new Error(`Route ${key} names function "${route.fn}", which the stack does not define`);
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.fn}-integration`, fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        integrations.set(route.fn, integration);
      }
      this.api.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration });
    }
  }

  /** The stage URL, ending in `/`. */
  get url(): string {
    const url = this.stage.url;
    return url.endsWith('/') ? url : `${url}/`;
  }
}
