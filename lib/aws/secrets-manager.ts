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
  ENV_BASE_URL_SOURCE,
  parseSecret,
  type ZuoraCredentials,
} from '../zuora/credentials.ts';
import { boundedRequests } from './request-timeouts.ts';
import { describeSdkError, sdkErrorName } from './sdk-errors.ts';

/** How long a secret value is trusted before it is read again. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

/**
 * A Secrets Manager client configured from the environment, with short timeouts: a Secrets
 * Manager that hangs must not hold a run until Lambda kills it. One may serve many secrets.
 */
export function newSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({
    requestHandler: boundedRequests(REQUEST_TIMEOUT_MS),
  });
}

/** Options of {@link SecretsManagerCredentials}. */
export interface SecretsManagerCredentialsOptions {
  secretId: string;
  /** Used when the secret has no `baseUrl`. */
  fallbackBaseUrl?: string | undefined;
  /** Where `fallbackBaseUrl` is configured, for messages. @default the ZUORA_BASE_URL variable */
  fallbackBaseUrlSource?: string | undefined;
  /** Defaults to a client configured from the environment (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, …). */
  client?: SecretsManagerClient;
  maxAgeMs?: number;
  now?: () => number;
}

/** A single Secrets Manager request gives up after this long; retries stay within the deadline. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Time kept back from the run's deadline for the run to record what happened. */
const DEADLINE_MARGIN_MS = 500;

/** Reads credentials from a Secrets Manager secret and caches them for at most 5 minutes. */
export class SecretsManagerCredentials implements CredentialSource {
  readonly #options: SecretsManagerCredentialsOptions;
  readonly #client: SecretsManagerClient;
  #cached: { value: ZuoraCredentials; at: number } | undefined;
  #inflight: Promise<ZuoraCredentials> | undefined;

  constructor(options: SecretsManagerCredentialsOptions) {
    this.#options = options;
    this.#client = options.client ?? newSecretsManagerClient();
  }

  async get(deadline?: number): Promise<ZuoraCredentials> {
    const now = (this.#options.now ?? Date.now)();
    const maxAge = this.#options.maxAgeMs ?? SECRET_MAX_AGE_MS;
    if (this.#cached && now - this.#cached.at < maxAge) return this.#cached.value;
    return this.refresh(deadline);
  }

  /** Reads the secret now; concurrent callers share one `GetSecretValue`. */
  refresh(deadline?: number): Promise<ZuoraCredentials> {
    this.#inflight ??= this.#fetch(deadline).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(deadline: number | undefined): Promise<ZuoraCredentials> {
    const { secretId } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    const budget =
      deadline === undefined ? undefined : Math.floor(deadline - now - DEADLINE_MARGIN_MS);
    if (budget !== undefined && budget <= 0) {
      throw new CredentialsError(
        `Could not read secret ${secretId}: no time left before the run's deadline`,
        { reason: 'unavailable' },
      );
    }
    let secretString: string | undefined;
    try {
      const output = await this.#client.send(new GetSecretValueCommand({ SecretId: secretId }), {
        abortSignal: budget === undefined ? undefined : AbortSignal.timeout(budget),
      });
      secretString = output.SecretString;
    } catch (error) {
      throw describeSecretError(error, secretId);
    }
    const value = parseSecret(secretString, secretId, {
      value: this.#options.fallbackBaseUrl,
      source: this.#options.fallbackBaseUrlSource ?? ENV_BASE_URL_SOURCE,
    });
    this.#cached = { value, at: (this.#options.now ?? Date.now)() };
    return value;
  }
}

function describeSecretError(error: unknown, secretId: string): CredentialsError {
  const name = sdkErrorName(error);
  // Only the error's class, a code and a fixed sentence: SDK errors carry request metadata.
  const cause = new Error(name);
  cause.name = name;
  const invalid = (message: string) => new CredentialsError(message, { cause });
  const unavailable = (why: string) =>
    new CredentialsError(`Could not read secret ${secretId} from Secrets Manager: ${why}`, {
      cause,
      reason: 'unavailable',
    });
  switch (name) {
    case 'ResourceNotFoundException':
      // An empty secret (the stack creates them so) answers "can't find … secret value".
      return invalid(
        /secret value|staging label/i.test((error as Error).message)
          ? `Secret ${secretId} has no value yet: put the Zuora client credentials in (aws secretsmanager put-secret-value)`
          : `Secret ${secretId} was not found (ResourceNotFoundException)`,
      );
    case 'AccessDeniedException':
      return invalid(
        `Not allowed to read secret ${secretId} (AccessDeniedException): grant secretsmanager:GetSecretValue`,
      );
    case 'DecryptionFailure':
      return invalid(
        `Secret ${secretId} could not be decrypted (DecryptionFailure): grant kms:Decrypt on its key`,
      );
  }
  return unavailable(describeSdkError(error, "the run's deadline"));
}
