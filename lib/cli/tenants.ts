/**
 * Which tenants a CLI run works on, with what settings and credentials. With `--config`, the
 * file's settings rule exactly as the deployment applies them: the `JANITOR_*` and `ZUORA_*`
 * configuration variables are then an error (they would silently differ from the deployment).
 * Without it, one tenant is configured by those variables, as before. Every error names the
 * source to fix: the file, the variable, the secret.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { newSecretsManagerClient, SecretsManagerCredentials } from '../aws/secrets-manager.ts';
import { type JanitorConfig, loadConfig, loadFleet } from '../config.ts';
import { readConfigFile as readConfigFileText } from '../contract/config-file.ts';
import { SETTING_VARIABLES } from '../contract/settings-env.ts';
import { type CredentialSource, StaticCredentials } from '../zuora/credentials.ts';
import { type TargetOptions, UsageError } from './options.ts';

/** A tenant as the CLI runs it. */
export interface CliTenant {
  readonly config: JanitorConfig;
  readonly credentials: CredentialSource;
  /** What the user should know about where the credentials come from, if anything. */
  readonly warning?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The variables that configure a tenant without a file; an error alongside `--config`. */
const CONFIG_VARIABLES = Object.values(SETTING_VARIABLES);

/** Reads a configuration file, or says clearly why it cannot. */
export function readConfigFile(path: string): { text: string; where: string } {
  const read = readConfigFileText(path);
  if (!read.ok) throw new UsageError(`configuration file ${read.where} ${read.problem}`);
  return read;
}

/** The tenants `options` select, each with its credentials. Throws usage or configuration errors. */
export function selectCliTenants(options: TargetOptions, env: Env): CliTenant[] {
  if (options.configPath === undefined) return [fromEnvironment(options, env)];
  const setVariables = CONFIG_VARIABLES.filter((name) => env[name]?.trim());
  if (setVariables.length > 0) {
    throw new UsageError(
      `${setVariables.join(', ')} ${setVariables.length > 1 ? 'are' : 'is'} set, but with --config the file's settings rule: unset ${setVariables.length > 1 ? 'them' : 'it'}`,
    );
  }
  const { text, where } = readConfigFile(options.configPath);
  const fleet = loadFleet(text, where);
  const names = [...fleet.tenants.keys()];
  let chosen: JanitorConfig[];
  if (options.allTenants) {
    chosen = [...fleet.tenants.values()].filter((tenant) => tenant.enabled);
    if (chosen.length === 0) throw new UsageError(`${where} has no enabled tenant`);
  } else if (options.tenant !== undefined) {
    const tenant = fleet.tenants.get(options.tenant);
    if (!tenant) {
      throw new UsageError(
        `no tenant "${options.tenant}" in ${where} (tenants: ${names.join(', ')})`,
      );
    }
    chosen = [tenant];
  } else if (names.length === 1) {
    chosen = [...fleet.tenants.values()];
  } else {
    throw new UsageError(
      `--tenant is required: ${where} has ${names.length} tenants (${names.join(', ')})`,
    );
  }
  if (options.allTenants && (env.ZUORA_CLIENT_ID || env.ZUORA_CLIENT_SECRET)) {
    throw new UsageError(
      "ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET are one tenant's: unset them for --all-tenants",
    );
  }
  // One client for every tenant's secret: a fleet run is bound by this process's CPU.
  let client: SecretsManagerClient | undefined;
  const shared = () => {
    client ??= newSecretsManagerClient();
    return client;
  };
  return chosen.map((config) => ({
    config,
    ...fileTenantCredentials(config, options, env, where, shared),
  }));
}

function fileTenantCredentials(
  config: JanitorConfig,
  options: TargetOptions,
  env: Env,
  where: string,
  client: () => SecretsManagerClient,
): Omit<CliTenant, 'config'> {
  const fallback = {
    fallbackBaseUrl: config.baseUrl,
    fallbackBaseUrlSource: `the baseUrl of tenant ${config.name} in ${where}`,
  };
  if (options.secretId) {
    return {
      credentials: new SecretsManagerCredentials({
        secretId: options.secretId,
        client: client(),
        ...fallback,
      }),
    };
  }
  if (env.ZUORA_CLIENT_ID || env.ZUORA_CLIENT_SECRET) {
    // Variables left over from another tenant's session would quietly replace the secret the
    // file names for this one: only a tenant without a secret in the file takes them.
    if (config.secret) {
      throw new UsageError(
        `tenant ${config.name} reads its credentials from secret ${config.secret.id} in ${where}: unset ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET (or pass --secret-id to read another secret)`,
      );
    }
    return {
      credentials: new StaticCredentials({
        clientId: env.ZUORA_CLIENT_ID,
        clientSecret: env.ZUORA_CLIENT_SECRET,
        baseUrl: config.baseUrl,
        baseUrlSource: fallback.fallbackBaseUrlSource,
      }),
      // Allowed (its secret is the stack's), but said, so that no one runs it on another
      // tenant's credentials unawares.
      warning: `using ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET from the environment (its secret is the one the stack created: --secret-id reads it)`,
    };
  }
  if (config.secret) {
    return {
      credentials: new SecretsManagerCredentials({
        secretId: config.secret.id,
        client: client(),
        ...fallback,
      }),
    };
  }
  throw new UsageError(
    `tenant ${config.name} has no secret in ${where} (the stack created one): pass --secret-id with the stack's SecretName output for it (JanitorSecretName<Tenant>), or set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET`,
  );
}

function fromEnvironment(options: TargetOptions, env: Env): CliTenant {
  const config = loadConfig(env);
  const secretId = options.secretId ?? config.secret?.id;
  if (secretId) {
    return {
      config,
      credentials: new SecretsManagerCredentials({ secretId, fallbackBaseUrl: config.baseUrl }),
    };
  }
  if (!env.ZUORA_CLIENT_ID && !env.ZUORA_CLIENT_SECRET) {
    throw new UsageError(
      'no credentials: pass --secret-id, set ZUORA_SECRET_ID, or set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET',
    );
  }
  return {
    config,
    credentials: new StaticCredentials({
      clientId: env.ZUORA_CLIENT_ID,
      clientSecret: env.ZUORA_CLIENT_SECRET,
      baseUrl: config.baseUrl,
    }),
  };
}
