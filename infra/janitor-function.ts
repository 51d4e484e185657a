/**
 * One janitor Lambda function with everything that belongs to it alone: its log group, its role
 * (logs for that group, the fleet's secrets, nothing else it did not ask for) and its code: the
 * bundle plus the resolved configuration file (`fleet.json`), which each function loads once at
 * start-up. Function overrides (memory, timeout, VPC, …) land here.
 *
 * The code is bundled at synth by the CDK's local bundling, one of two ways: from a package,
 * the prebuilt bundles it ships (tested as shipped, and no esbuild or Docker needed by the app
 * that installs it); from this repository, esbuild builds `functions/<name>.ts`. Both ways the
 * asset hash covers the output, configuration file included, so a changed file redeploys.
 *
 * The log group and role are created beside the function, in its parent, under the ids they
 * always had (`<id>Logs`, `<id>Role`): moving them into a scope of their own would change their
 * logical ids, and CloudFormation would replace the function's role and delete its log group.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  DockerImage,
  type Duration,
  RemovalPolicy,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { bundleOptions } from './bundle-options.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Where a package keeps its prebuilt bundles (`dist/lambda/<name>/index.mjs`). */
const PREBUILT = path.resolve(HERE, '..', 'lambda');
/** Where this repository keeps the handlers' sources. */
const SOURCES = path.resolve(HERE, '..', 'functions');

/** The name of the configuration file in each function's code asset. */
export const FLEET_FILE = 'fleet.json';

/** The janitor's two functions. */
export type JanitorFunctionName = 'sweep' | 'cancel';

/** The function options an app may change: the one list, for the type and the check alike. */
const FUNCTION_OPTIONS = [
  'memorySize',
  'timeout',
  'vpc',
  'vpcSubnets',
  'securityGroups',
  'allowPublicSubnet',
  'allowAllOutbound',
  'ephemeralStorageSize',
  'tracing',
  'environmentEncryption',
  'description',
] as const satisfies ReadonlyArray<keyof lambda.FunctionOptions>;

/** What the janitor lets an app change about its functions. */
export interface JanitorFunctionOverrides
  extends Partial<Pick<lambda.FunctionOptions, (typeof FUNCTION_OPTIONS)[number]>> {
  /** Tags for the function and its role. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The keys of {@link JanitorFunctionOverrides}, checked at run time too (for JavaScript apps). */
const OVERRIDABLE: ReadonlySet<string> = new Set<keyof JanitorFunctionOverrides>([
  ...FUNCTION_OPTIONS,
  'tags',
]);

/**
 * The overrides an app may make, or an error naming the rest: TypeScript lets an object with
 * more keys through a variable of the type (and JavaScript checks nothing), and a role, an
 * environment or retries set that way would undo what the janitor relies on.
 */
function checkOverrides(overrides: JanitorFunctionOverrides | undefined): JanitorFunctionOverrides {
  // A key set to undefined (`timeout: big ? … : undefined`) means "the default", as elsewhere:
  // spread as it is, it would wipe the janitor's own value and deploy Lambda's (3 s, 128 MB).
  const defined = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  const refused = defined.map(([key]) => key).filter((key) => !OVERRIDABLE.has(key));
  if (refused.length > 0) {
    throw new Error(
      `QueryJobJanitor: functionProps cannot set ${refused.join(', ')} (it may set ${[...OVERRIDABLE].join(', ')})`,
    );
  }
  return Object.fromEntries(defined) as JanitorFunctionOverrides;
}

/** Settings of {@link JanitorFunction}. */
export interface JanitorFunctionProps {
  readonly name: JanitorFunctionName;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** The resolved configuration, written into the code asset as {@link FLEET_FILE}. */
  readonly fleetDocument: string;
  /** How long an asynchronous event may wait before it goes to the failure queue. */
  readonly maxEventAge: Duration;
  /** Keeps events the function refused or failed on (on-failure destination). */
  readonly failedEvents: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly overrides?: JanitorFunctionOverrides | undefined;
}

/** A janitor function: Node.js 24 on arm64, JSON logs, never retried, failures kept. */
export class JanitorFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: JanitorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own: logs for this function's group, and what the janitor grants it.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `query-janitor ${id}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const { tags, ...overrides } = checkOverrides(props.overrides);
    super(scope, id, {
      code: janitorCode(props.name, props.fleetDocument),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Not `--enable-source-maps`: Node would read and index the bundle's map at every cold
      // start, about a fifth of its import time. A failure's stack is mapped when it fails.
      environment: props.environment,
      // The code retries Zuora calls itself; a replayed run could double-act, so never retry.
      retryAttempts: 0,
      maxEventAge: props.maxEventAge,
      onFailure: new destinations.SqsDestination(props.failedEvents),
      ...overrides,
    });
    for (const [key, value] of Object.entries(tags ?? {})) {
      Tags.of(this).add(key, value);
      Tags.of(role).add(key, value);
    }
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 24 is the runtime this code is built and tested for.',
    });
    if (overrides.vpc) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC needs the managed policy that lets Lambda manage its network interfaces.',
      });
    }
  }
}

/**
 * The function's code: the bundle (prebuilt when this is a package, built from source in this
 * repository) and the configuration file, produced by the CDK's local bundling so that stacks
 * whose bundling is skipped (`aws:cdk:bundling-stacks`) do no work.
 */
function janitorCode(name: JanitorFunctionName, fleetDocument: string): lambda.Code {
  const prebuilt = path.join(PREBUILT, name);
  const fromPackage = existsSync(path.join(prebuilt, 'index.mjs'));
  return lambda.Code.fromAsset(fromPackage ? prebuilt : SOURCES, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      // Part of the CDK's staging cache key (the local bundler is not): without them, two
      // functions, or two configurations in one app, would share one staged bundle.
      environment: {
        QUERY_JANITOR_FUNCTION: name,
        QUERY_JANITOR_FLEET_SHA256: createHash('sha256').update(fleetDocument).digest('hex'),
      },
      local: {
        tryBundle(outputDir) {
          if (fromPackage) {
            for (const file of ['index.mjs', 'index.mjs.map']) {
              const source = path.join(prebuilt, file);
              if (existsSync(source)) copyFileSync(source, path.join(outputDir, file));
            }
          } else {
            // esbuild is a development dependency: only this repository bundles from source.
            const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
            esbuild.buildSync({
              ...bundleOptions(name),
              outfile: path.join(outputDir, 'index.mjs'),
            });
          }
          writeFileSync(path.join(outputDir, FLEET_FILE), fleetDocument);
          return true;
        },
      },
    },
  });
}
