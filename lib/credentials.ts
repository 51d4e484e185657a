/**
 * Where the Zuora client credentials come from: a Secrets Manager secret (Lambda, and the CLI
 * with `--secret-id`) or the environment (the CLI). The secret is read with the AWS SDK
 * directly: the cache we need is a few lines (at most 5 minutes, bypassed once when Zuora
 * rejects the credentials), which is less than wiring `@aws-lambda-powertools/parameters` or a
 * middy middleware, and it works the same inside and outside Lambda.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { lazySchema, parseWith } from './validation.ts';
import { parseBaseUrl } from './zuora/http.ts';
import type { CredentialSource, ZuoraCredentials } from './zuora/model.ts';

/** The secret could not be read or does not hold valid credentials. */
export class CredentialsError extends Error {
  override name = 'CredentialsError';
  /** `invalid`: the secret or settings are wrong (fix them); `unavailable`: could not read it. */
  readonly reason: 'invalid' | 'unavailable';

  constructor(message: string, options?: ErrorOptions & { reason?: 'invalid' | 'unavailable' }) {
    super(message, options);
    this.reason = options?.reason ?? 'invalid';
  }
}

/** How long a secret value is trusted before it is read again. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

const secretSchema = lazySchema(() => {
  const nonEmpty = z.string().check(z.trim(), z.minLength(1, 'must be a non-empty string'));
  return z.strictObject({
    clientId: nonEmpty,
    clientSecret: nonEmpty,
    baseUrl: z.optional(nonEmpty),
  });
});

/**
 * Parses a secret's `SecretString` (`{"clientId","clientSecret","baseUrl"?}`), falling back to
 * `fallbackBaseUrl`. Errors name the field and the secret, never a value.
 */
export function parseSecret(
  secretString: string | undefined,
  secretId: string,
  fallbackBaseUrl?: string,
): ZuoraCredentials {
  if (secretString === undefined) {
    throw new CredentialsError(
      `Secret ${secretId} has no SecretString (binary secrets are not supported)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new CredentialsError(
      `Secret ${secretId} is not valid JSON; expected {"clientId": "...", "clientSecret": "...", "baseUrl": "https://..."}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CredentialsError(
      `Secret ${secretId} must be a JSON object with clientId and clientSecret`,
    );
  }
  const fields = parseWith(
    secretSchema(),
    json,
    (problems) => new CredentialsError(`Secret ${secretId} is invalid: ${problems}`),
  );
  return withBaseUrl(fields, `secret ${secretId}`, fallbackBaseUrl);
}

function withBaseUrl(
  fields: { clientId: string; clientSecret: string; baseUrl?: string | undefined },
  origin: string,
  fallbackBaseUrl: string | undefined,
): ZuoraCredentials {
  const baseUrl = fields.baseUrl ?? fallbackBaseUrl;
  if (!baseUrl) {
    throw new CredentialsError(
      `No Zuora base URL: set baseUrl in the ${origin} or the ZUORA_BASE_URL variable`,
    );
  }
  try {
    parseBaseUrl(baseUrl);
  } catch (error) {
    throw new CredentialsError(`baseUrl in the ${origin} is invalid: ${(error as Error).message}`);
  }
  return { clientId: fields.clientId, clientSecret: fields.clientSecret, baseUrl };
}

/** Options of {@link SecretsManagerCredentials}. */
export interface SecretsManagerCredentialsOptions {
  secretId: string;
  /** Used when the secret has no `baseUrl`. */
  fallbackBaseUrl?: string | undefined;
  /** Defaults to a client configured from the environment (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, …). */
  client?: SecretsManagerClient;
  maxAgeMs?: number;
  now?: () => number;
}

/** Reads credentials from a Secrets Manager secret and caches them for at most 5 minutes. */
export class SecretsManagerCredentials implements CredentialSource {
  /** Number of `GetSecretValue` calls made, for tests and the benchmark. */
  fetches = 0;
  readonly #options: SecretsManagerCredentialsOptions;
  readonly #client: SecretsManagerClient;
  #cached: { value: ZuoraCredentials; at: number } | undefined;
  #inflight: Promise<ZuoraCredentials> | undefined;

  constructor(options: SecretsManagerCredentialsOptions) {
    this.#options = options;
    this.#client = options.client ?? new SecretsManagerClient({});
  }

  async get(): Promise<ZuoraCredentials> {
    const now = (this.#options.now ?? Date.now)();
    const maxAge = this.#options.maxAgeMs ?? SECRET_MAX_AGE_MS;
    if (this.#cached && now - this.#cached.at < maxAge) return this.#cached.value;
    return this.refresh();
  }

  /** Reads the secret now; concurrent callers share one `GetSecretValue`. */
  refresh(): Promise<ZuoraCredentials> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<ZuoraCredentials> {
    const { secretId } = this.#options;
    this.fetches++;
    let secretString: string | undefined;
    try {
      const output = await this.#client.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = output.SecretString;
    } catch (error) {
      throw describeSdkError(error, secretId);
    }
    const value = parseSecret(secretString, secretId, this.#options.fallbackBaseUrl);
    this.#cached = { value, at: (this.#options.now ?? Date.now)() };
    return value;
  }
}

function describeSdkError(error: unknown, secretId: string): CredentialsError {
  const name = error instanceof Error ? error.name : 'Error';
  // Only the error's class and a fixed sentence: SDK errors carry request metadata we do not need.
  const cause = new Error(name);
  cause.name = name;
  switch (name) {
    case 'ResourceNotFoundException':
      return new CredentialsError(`Secret ${secretId} was not found (ResourceNotFoundException)`, {
        cause,
      });
    case 'AccessDeniedException':
      return new CredentialsError(
        `Not allowed to read secret ${secretId} (AccessDeniedException): grant secretsmanager:GetSecretValue`,
        { cause },
      );
    case 'DecryptionFailure':
      return new CredentialsError(
        `Secret ${secretId} could not be decrypted (DecryptionFailure): grant kms:Decrypt on its key`,
        { cause },
      );
    default:
      return new CredentialsError(
        `Could not read secret ${secretId} from Secrets Manager (${name})`,
        {
          cause,
          reason: 'unavailable',
        },
      );
  }
}

/** Credentials given directly (the CLI's `ZUORA_CLIENT_ID` / `ZUORA_CLIENT_SECRET`). */
export class StaticCredentials implements CredentialSource {
  readonly #value: ZuoraCredentials;

  constructor(fields: {
    clientId?: string | undefined;
    clientSecret?: string | undefined;
    baseUrl?: string | undefined;
  }) {
    const missing = (['clientId', 'clientSecret'] as const).filter((key) => !fields[key]?.trim());
    if (missing.length > 0) {
      throw new CredentialsError(`Missing Zuora credentials: ${missing.join(', ')}`);
    }
    this.#value = withBaseUrl(
      { clientId: fields.clientId as string, clientSecret: fields.clientSecret as string },
      'environment',
      fields.baseUrl,
    );
  }

  async get(): Promise<ZuoraCredentials> {
    return this.#value;
  }

  async refresh(): Promise<ZuoraCredentials> {
    return this.#value;
  }
}

/**
 * Wraps `source` for one run: `refresh` reaches the source at most once, later calls share that
 * result. A rotated secret is picked up at once, and a bad one cannot loop.
 */
export function refreshingOncePerRun(source: CredentialSource): CredentialSource {
  let refreshed: Promise<ZuoraCredentials> | undefined;
  return {
    get: () => refreshed ?? source.get(),
    refresh: () => {
      refreshed ??= source.refresh();
      return refreshed;
    },
  };
}
