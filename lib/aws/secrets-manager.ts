/**
 * Zuora credentials from an AWS Secrets Manager secret, read with the AWS SDK directly: the cache
 * we need is a few lines (at most 5 minutes, bypassed once when Zuora rejects the credentials),
 * which is less than wiring `@aws-lambda-powertools/parameters` or a middy middleware, and it
 * works the same inside and outside Lambda.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  type CredentialSource,
  CredentialsError,
  parseSecret,
  type ZuoraCredentials,
} from '../zuora/credentials.ts';

/** How long a secret value is trusted before it is read again. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

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
