// The one way this app builds a Lambda: the handler module the local stack runs
// (lambdas/<name>/index.ts, export `handler`), bundled by the locally installed esbuild as
// minified ESM for Node 24 on arm64, traced, with its own log group and the Parameters and
// Secrets extension for reading secrets at runtime.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type ConfigValue, formatEnv, type SecretName, type VariableName } from '../../lambdas/config/variables.ts';
import { METRIC_NAMESPACE } from '../../lambdas/contracts/metrics.ts';
import {
  BUNDLE_ALIASES,
  BUNDLE_TARGET,
  ESM_BANNER,
  LINKTREE_MCP_MODULE_ENTRY,
  LINKTREE_MCP_MODULE_FILE,
  LOCAL_ONLY_MODULES,
} from '../bundling.ts';

/** Repository root: lib/constructs/ is two levels down. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The handler module of a function, shared with the local stack. */
export const handlerEntry = (name: string): string => join(REPO_ROOT, 'lambdas', name, 'index.ts');

/** A function's environment by the configuration schema's names, with typed values. */
export type FunctionEnv = { [K in VariableName]?: ConfigValue<K> };

/** What every function of a stage shares. */
export interface FunctionDefaults {
  vpc: ec2.IVpc;
  securityGroup: ec2.ISecurityGroup;
  logRetentionDays: number;
  removalPolicy: RemovalPolicy;
}

export interface ServiceFunctionProps extends Omit<FunctionDefaults, 'vpc' | 'securityGroup'> {
  /** Function name in the route table; the entry is lambdas/<name>/index.ts. */
  name: string;
  description: string;
  /**
   * The VPC, its subnets and security group. Left out, the function runs outside any VPC (the CDN
   * invalidator in us-east-1, which only calls CloudFront's public API) and gets no ENI rights.
   */
  vpc?: ec2.IVpc;
  securityGroup?: ec2.ISecurityGroup;
  vpcSubnets?: ec2.SubnetSelection;
  timeout: Duration;
  memorySize?: number;
  /** Checked against the configuration schema at synth: a bad stage value fails `cdk synth`. */
  environment?: FunctionEnv;
  /** Secrets read through the extension: env var `<NAME>_SECRET_ARN` is set and GetSecretValue granted on exactly that secret. */
  secrets?: Partial<Record<SecretName, secretsmanager.ISecret>>;
  reservedConcurrentExecutions?: number;
  /**
   * Directories copied next to the bundle (repo-relative source → name inside the asset), for
   * files the handler reads at runtime, e.g. migrate's SQL files (`import.meta.dirname/sql`).
   */
  copyIntoBundle?: Record<string, string>;
}

export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly entry: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    if (props.vpc && !(props.securityGroup && props.vpcSubnets)) {
      throw new Error(`Function ${props.name}: a VPC function needs its security group and subnets`);
    }
    this.entry = handlerEntry(props.name);
    if (!existsSync(this.entry)) {
      throw new Error(`Function ${props.name}: handler module ${this.entry} does not exist`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: retentionFor(props.logRetentionDays),
      removalPolicy: props.removalPolicy,
    });

    // An explicit role instead of the AWS managed basic/VPC execution policies: logs only to this
    // function's log group. ENI management and X-Ray have no resource-level permissions (`*`).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `LinkCache ${props.name} function`,
      inlinePolicies: {
        runtime: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [this.logGroup.logGroupArn],
            }),
            ...(props.vpc
              ? [
                  new iam.PolicyStatement({
                    actions: [
                      'ec2:CreateNetworkInterface',
                      'ec2:DescribeNetworkInterfaces',
                      'ec2:DescribeSubnets',
                      'ec2:DeleteNetworkInterface',
                      'ec2:AssignPrivateIpAddresses',
                      'ec2:UnassignPrivateIpAddresses',
                    ],
                    resources: ['*'],
                  }),
                ]
              : []),
          ],
        }),
      },
    });

    const secretEnv: FunctionEnv = {};
    for (const [name, secret] of Object.entries(props.secrets ?? {}) as [SecretName, secretsmanager.ISecret][]) {
      secretEnv[`${name}_SECRET_ARN`] = secret.secretArn;
    }

    this.fn = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: this.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroup ? [props.securityGroup] : undefined,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(lambda.ParamsAndSecretsVersions.V1_0_103, {
        cacheEnabled: true,
        secretsManagerTtl: Duration.minutes(5),
        secretsManagerTimeout: Duration.seconds(2),
        logLevel: lambda.ParamsAndSecretsLogLevel.WARN,
      }),
      environment: {
        ...formatEnv(
          {
            POWERTOOLS_SERVICE_NAME: props.name,
            POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
            ...props.environment,
            ...secretEnv,
          },
          (value) => Token.isUnresolved(value),
        ),
        // Node's own variable, not the app's configuration: stack traces through the source maps.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        platform: 'node',
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_BANNER,
        // The AWS SDK v3 is bundled (pinned by package-lock.json, the version the tests ran)
        // rather than taken from the runtime; only local-only modules stay out.
        bundleAwsSDK: true,
        externalModules: LOCAL_ONLY_MODULES,
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...Object.entries(props.copyIntoBundle ?? {}).map(
              ([from, to]) => `cp -R "${join(inputDir, from)}" "${join(outputDir, to)}"`,
            ),
            // The MCP origin, loaded by a dynamic import only when ORIGIN is linktree-mcp.
            ...(props.environment?.ORIGIN === 'linktree-mcp' ? [separateModuleCommand(inputDir, outputDir)] : []),
          ],
        },
      },
    });

    for (const secret of Object.values(props.secrets ?? {})) {
      this.fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
      );
    }
  }
}

/** The installed esbuild building the MCP origin module with the same settings as the bundle. */
export const separateModuleCommand = (inputDir: string, outputDir: string): string => {
  const args = [
    LINKTREE_MCP_MODULE_ENTRY,
    '--bundle',
    '--minify',
    '--format=esm',
    '--platform=node',
    `--target=${BUNDLE_TARGET}`,
    '--main-fields=module,main',
    '--sourcemap',
    '--sources-content=false',
    '--log-level=warning',
    `--banner:js=${ESM_BANNER}`,
    `--outfile=${join(outputDir, LINKTREE_MCP_MODULE_FILE)}`,
    ...LOCAL_ONLY_MODULES.map((m) => `--external:${m}`),
    ...Object.entries(BUNDLE_ALIASES).map(([from, to]) => `--alias:${from}=${to}`),
  ];
  const esbuild = join(inputDir, 'node_modules', 'esbuild', 'bin', 'esbuild');
  // bin/esbuild is the native binary once installed (or a node launcher script with a shebang).
  return `cd "${inputDir}" && "${esbuild}" ${args.map((a) => `"${a}"`).join(' ')}`;
};

const RETENTION: Record<number, logs.RetentionDays> = {
  1: logs.RetentionDays.ONE_DAY,
  3: logs.RetentionDays.THREE_DAYS,
  5: logs.RetentionDays.FIVE_DAYS,
  7: logs.RetentionDays.ONE_WEEK,
  14: logs.RetentionDays.TWO_WEEKS,
  30: logs.RetentionDays.ONE_MONTH,
  60: logs.RetentionDays.TWO_MONTHS,
  90: logs.RetentionDays.THREE_MONTHS,
  180: logs.RetentionDays.SIX_MONTHS,
  365: logs.RetentionDays.ONE_YEAR,
};

export const retentionFor = (days: number): logs.RetentionDays => {
  const r = RETENTION[days];
  if (r === undefined) throw new Error(`logRetentionDays must be one of ${Object.keys(RETENTION).join(', ')}`);
  return r;
};
