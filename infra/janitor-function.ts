/**
 * One janitor Lambda function with everything that belongs to it alone: its log group, its role
 * (logs for that group, the secret, nothing else) and its bundling (local esbuild, ESM, the AWS
 * SDK bundled). Function overrides live here.
 *
 * The log group and role are created beside the function, in its parent, under the ids they
 * always had (`<id>Logs`, `<id>Role`): moving them into a scope of their own would change their
 * logical ids, and CloudFormation would replace the function's role and delete its log group.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Prefer ESM entry points, so the ESM bundle never hits a CommonJS dynamic require at run time. */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/**
 * Module substitutions in the Lambda bundles: Lambda always has its credentials in the
 * environment, so the SDK's full credential chain is replaced by the environment provider.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/lambda-credentials.ts',
};

/** Settings of {@link JanitorFunction}. */
export interface JanitorFunctionProps {
  /** Handler source, relative to the repository root (`functions/sweep.ts`). */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** How long an asynchronous event may wait before it goes to the failure queue. */
  readonly maxEventAge: Duration;
  /** The function reads this secret and nothing else. */
  readonly secret: secretsmanager.ISecret;
  /** Keeps events the function refused or failed on (on-failure destination). */
  readonly failedEvents: sqs.IQueue;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrentExecutions?: number | undefined;
}

/** A janitor function: Node.js 24 on arm64, JSON logs, never retried, failures kept. */
export class JanitorFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: JanitorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own: logs for this function's group, the secret, and nothing else.
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
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        // A secret imported by name has only a partial ARN: match its 6-character suffix.
        resources: [props.secret.secretFullArn ?? `${props.secret.secretArn}-??????`],
      }),
    );
    props.secret.encryptionKey?.grantDecrypt(role);

    super(scope, id, {
      entry: path.join(ROOT, props.entry),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: path.join(ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      // The code retries Zuora calls itself; a replayed run could double-act, so never retry.
      retryAttempts: 0,
      maxEventAge: props.maxEventAge,
      onFailure: new destinations.SqsDestination(props.failedEvents),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK too (pinned, tree-shaken).
        externalModules: [],
        mainFields: BUNDLE_MAIN_FIELDS,
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        forceDockerBundling: false,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 24 is the runtime this code is built and tested for.',
    });
  }
}
