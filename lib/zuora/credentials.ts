/**
 * Zuora client credentials: where the client gets them ({@link CredentialSource}), the secret's
 * JSON contract ({@link parseSecret}), credentials given directly, and the once-per-run reload
 * rule. No AWS here: the Secrets Manager adapter lives in `lib/aws/`.
 */
import * as z from 'zod/mini';
import { lazySchema, parseWith } from '../contract/validation.ts';
import { parseBaseUrl } from './endpoint.ts';
import { MIN_SECRET_LENGTH } from './redact.ts';

/** Client credentials and the tenant they belong to. */
export interface ZuoraCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly baseUrl: string;
}

/**
 * Where credentials come from; `refresh` bypasses any cache (after Zuora rejected them). Both
 * must settle before `deadline` (epoch milliseconds), when one is given.
 */
export interface CredentialSource {
  get(deadline?: number): Promise<ZuoraCredentials>;
  refresh(deadline?: number): Promise<ZuoraCredentials>;
}

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

const secretSchema = lazySchema(() => {
  const nonEmpty = z.string().check(z.trim(), z.minLength(1, 'must be a non-empty string'));
  return z.strictObject({
    clientId: nonEmpty,
    clientSecret: nonEmpty,
    baseUrl: z.optional(nonEmpty),
  });
});

/** A base URL to use when the credentials carry none, and where it is configured (for messages). */
export interface FallbackBaseUrl {
  readonly value: string | undefined;
  /** Where a person would set it: `the ZUORA_BASE_URL variable`, `the tenant's baseUrl in …`. */
  readonly source: string;
}

/** The fallback of a deployment configured by environment variables. */
export const ENV_BASE_URL_SOURCE = 'the ZUORA_BASE_URL variable';

/**
 * Parses a secret's `SecretString` (`{"clientId","clientSecret","baseUrl"?}`), falling back to
 * `fallback`. Errors name the field and the secret, never a value.
 */
export function parseSecret(
  secretString: string | undefined,
  secretId: string,
  fallback: FallbackBaseUrl = { value: undefined, source: ENV_BASE_URL_SOURCE },
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
    // A key may be a value pasted into the wrong column: never quote one.
    { hideUnknownKeys: true },
  );
  requireRedactable(fields.clientSecret, `clientSecret in the secret ${secretId}`);
  return withBaseUrl(fields, `baseUrl in the secret ${secretId}`, fallback);
}

/**
 * The credentials with their base URL: their own (named by `origin`, when they can carry one),
 * else the fallback.
 */
function withBaseUrl(
  fields: { clientId: string; clientSecret: string; baseUrl?: string | undefined },
  origin: string | undefined,
  fallback: FallbackBaseUrl,
): ZuoraCredentials {
  const baseUrl = fields.baseUrl ?? fallback.value;
  if (!baseUrl) {
    const where = origin === undefined ? fallback.source : `${origin} or ${fallback.source}`;
    throw new CredentialsError(`No Zuora base URL: set ${where}`);
  }
  try {
    parseBaseUrl(baseUrl);
  } catch (error) {
    const where = fields.baseUrl !== undefined ? origin : fallback.source;
    throw new CredentialsError(`${where} is invalid: ${(error as Error).message}`);
  }
  return { clientId: fields.clientId, clientSecret: fields.clientSecret, baseUrl };
}

/**
 * Refuses a client secret shorter than the redactor registers: it could not be kept out of
 * messages (the secrets Zuora issues are far longer). `where` names it for the message.
 */
function requireRedactable(clientSecret: string, where: string): void {
  if (clientSecret.length < MIN_SECRET_LENGTH) {
    throw new CredentialsError(
      `${where} is shorter than ${MIN_SECRET_LENGTH} characters: too short to keep out of messages; use the client secret Zuora issued`,
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
    /** Where `baseUrl` came from, for messages. @default the ZUORA_BASE_URL variable */
    baseUrlSource?: string | undefined;
  }) {
    const missing = (['clientId', 'clientSecret'] as const).filter((key) => !fields[key]?.trim());
    if (missing.length > 0) {
      const names = { clientId: 'ZUORA_CLIENT_ID', clientSecret: 'ZUORA_CLIENT_SECRET' };
      throw new CredentialsError(
        `Missing Zuora credentials: set ${missing.map((key) => names[key]).join(' and ')}`,
      );
    }
    requireRedactable(fields.clientSecret as string, 'ZUORA_CLIENT_SECRET');
    this.#value = withBaseUrl(
      { clientId: fields.clientId as string, clientSecret: fields.clientSecret as string },
      undefined,
      { value: fields.baseUrl, source: fields.baseUrlSource ?? ENV_BASE_URL_SOURCE },
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
    get: (deadline) => refreshed ?? source.get(deadline),
    refresh: (deadline) => {
      refreshed ??= source.refresh(deadline);
      return refreshed;
    },
  };
}
