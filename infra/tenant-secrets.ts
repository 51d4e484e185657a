/**
 * Each tenant's secret: one you pass in, one the configuration names (by name or full ARN, with
 * its KMS key if it has one), or one the stack creates for ops to fill. A created secret holds
 * no value at all (not even a placeholder a later deploy could write over the real credentials)
 * and is kept when the stack is deleted. The one tenant of a file-less deployment keeps the
 * secret's original logical id, so an upgrade never orphans it for a new, empty one.
 */
import { ArnFormat, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { type SecretLocation, secretVariable } from '../lib/contract/fleet-document.ts';
import type { ResolvedTenant } from '../lib/contract/settings.ts';
import { janitorOutput, outputSuffixes } from './outputs.ts';

/** A secret ARN with the suffix Secrets Manager adds to the name (`…:secret:zuora/prod-AbCdEf`). */
const COMPLETE_ARN = /:secret:.+-[A-Za-z0-9]{6}$/;

/** The fleet's secrets, and how functions find and may read them. */
export class TenantSecrets {
  readonly byTenant = new Map<string, secretsmanager.ISecret>();
  /** Where each tenant's secret is, for the configuration in the code asset. */
  readonly locations: Record<string, SecretLocation> = {};
  /** Variables carrying the ARNs only known at deploy time. */
  readonly environment: Record<string, string> = {};
  readonly #resources = new Set<string>();
  readonly #keys: kms.IKey[] = [];

  constructor(
    scope: Construct,
    tenants: readonly ResolvedTenant[],
    given: Readonly<Record<string, secretsmanager.ISecret>>,
  ) {
    const suffixes = outputSuffixes(tenants.map((tenant) => tenant.name));
    tenants.forEach((tenant, index) => {
      const secret =
        given[tenant.name] ??
        this.#fromConfig(scope, tenant) ??
        this.#create(scope, tenant, suffixes.get(tenant.name) as string);
      this.byTenant.set(tenant.name, secret);
      const known =
        tenant.secret?.id ?? (Token.isUnresolved(secret.secretArn) ? undefined : secret.secretArn);
      if (known !== undefined && !given[tenant.name]) {
        this.locations[tenant.name] = { id: known };
      } else {
        const variable = secretVariable(index);
        this.environment[variable] = secret.secretArn;
        this.locations[tenant.name] = { env: variable };
      }
      // A secret known only by name has a partial ARN: match its 6-character suffix.
      this.#resources.add(secret.secretFullArn ?? `${secret.secretArn}-??????`);
      if (secret.encryptionKey) this.#keys.push(secret.encryptionKey);
    });
  }

  /** Lets `fn` read exactly the fleet's secrets, and decrypt them with their keys. */
  grantRead(fn: lambda.IFunction): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [...this.#resources],
      }),
    );
    for (const key of this.#keys) key.grantDecrypt(fn);
  }

  #fromConfig(scope: Construct, tenant: ResolvedTenant): secretsmanager.ISecret | undefined {
    if (!tenant.secret) return undefined;
    const { id, kmsKeyArn } = tenant.secret;
    const encryptionKey = kmsKeyArn
      ? kms.Key.fromKeyArn(scope, `SecretKey-${tenant.name}`, kmsKeyArn)
      : undefined;
    // A full ARN ends in the 6 characters Secrets Manager adds to the name; without them it is
    // partial, and granted as the name with any suffix (CDK refuses it as a complete one).
    if (id.startsWith('arn:')) {
      return secretsmanager.Secret.fromSecretAttributes(scope, `Secret-${tenant.name}`, {
        ...(COMPLETE_ARN.test(id) ? { secretCompleteArn: id } : { secretPartialArn: id }),
        encryptionKey,
      });
    }
    return secretsmanager.Secret.fromSecretAttributes(scope, `Secret-${tenant.name}`, {
      secretPartialArn: Stack.of(scope).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: id,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      encryptionKey,
    });
  }

  #create(scope: Construct, tenant: ResolvedTenant, suffix: string): secretsmanager.Secret {
    const legacy = tenant.name === 'default';
    const secret = new secretsmanager.Secret(
      scope,
      legacy ? 'ZuoraCredentials' : `ZuoraCredentials-${tenant.name}`,
      {
        description: `Zuora OAuth client credentials for query-janitor tenant ${tenant.name}: {"clientId","clientSecret","baseUrl"}`,
        removalPolicy: RemovalPolicy.RETAIN,
      },
    );
    // No value at all: CloudFormation creates an empty secret, and no later deploy writes one.
    (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
      'GenerateSecretString',
    );
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Zuora OAuth clients are rotated in Zuora by ops; the janitor re-reads the secret when Zuora rejects it.',
    });
    janitorOutput(
      scope,
      legacy ? 'SecretName' : `SecretName-${tenant.name}`,
      {
        description: `Put the Zuora client credentials of tenant ${tenant.name} into this secret`,
        value: secret.secretName,
      },
      legacy ? 'SecretName' : `SecretName${suffix}`,
    );
    return secret;
  }
}
