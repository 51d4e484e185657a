/**
 * An in-process emulator of AWS Secrets Manager's `GetSecretValue`, speaking the JSON 1.1
 * protocol the real AWS SDK sends (`POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`).
 * Point the SDK at it with `AWS_ENDPOINT_URL_SECRETS_MANAGER`. It answers
 * `ResourceNotFoundException` and `AccessDeniedException` like the service, and records calls.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { closeServer, createAwsJsonServer, listenOnLoopback } from './loopback.ts';

interface StoredSecret {
  name: string;
  arn: string;
  /** Undefined for a secret created without a value. */
  secretString: string | undefined;
  versionId: string;
  createdDate: number;
}

/** One `GetSecretValue` call as received. */
export interface RecordedSecretRequest {
  target: string;
  secretId: string;
  signed: boolean;
  status: number;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

/** An emulated Secrets Manager on loopback. */
export class SecretsManagerEmulator {
  readonly requests: RecordedSecretRequest[] = [];
  readonly #server: Server;
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #denied = new Set<string>();
  readonly #failures: Array<{ status: number; type: string }> = [];
  /** Calls left that get no answer at all (the connection stays open). */
  #hanging = 0;
  #url = '';

  private constructor() {
    this.#server = createAwsJsonServer((req, answer) => {
      const { target } = req;
      let input: { SecretId?: unknown } = {};
      try {
        input = JSON.parse(req.body || '{}');
      } catch {
        return answer(
          400,
          { __type: 'SerializationException', message: 'bad JSON' },
          'SerializationException',
        );
      }
      const secretId = typeof input.SecretId === 'string' ? input.SecretId : '';
      const record: RecordedSecretRequest = {
        target,
        secretId,
        signed: req.signed,
        status: 0,
      };
      this.requests.push(record);
      const fail = (status: number, type: string, message: string) => {
        record.status = status;
        answer(status, { __type: type, message }, type);
      };
      if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        return fail(400, 'UnknownOperationException', 'Unknown operation');
      }
      if (this.#hanging > 0) {
        this.#hanging--;
        return;
      }
      const injected = this.#failures.shift();
      if (injected) return fail(injected.status, injected.type, `Injected ${injected.type}`);
      const secret = this.#find(secretId);
      if (secret && this.#denied.has(secret.name)) {
        return fail(
          400,
          'AccessDeniedException',
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/janitor is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId}`,
        );
      }
      if (!secret) {
        return fail(
          400,
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret.",
        );
      }
      if (secret.secretString === undefined) {
        return fail(
          400,
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
      }
      record.status = 200;
      answer(200, {
        ARN: secret.arn,
        Name: secret.name,
        SecretString: secret.secretString,
        VersionId: secret.versionId,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdDate,
      });
    });
  }

  /** Starts the emulator on 127.0.0.1 with an ephemeral port. */
  static async start(): Promise<SecretsManagerEmulator> {
    const emulator = new SecretsManagerEmulator();
    emulator.#url = await listenOnLoopback(emulator.#server);
    return emulator;
  }

  /** The value for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  get url(): string {
    return this.#url;
  }

  /** Creates or replaces (rotates) a secret; returns its ARN. Undefined: a secret with no value. */
  put(name: string, secretString: string | undefined): string {
    const existing = this.#secrets.get(name);
    const arn =
      existing?.arn ??
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`;
    this.#secrets.set(name, {
      name,
      arn,
      secretString,
      versionId: randomUUID(),
      createdDate: Math.floor(Date.now() / 1000),
    });
    return arn;
  }

  /** Forgets requests, denials and injected failures (secrets stay). */
  reset(): void {
    this.requests.length = 0;
    this.#denied.clear();
    this.#failures.length = 0;
    this.#hanging = 0;
  }

  /** Makes `GetSecretValue` on `name` answer `AccessDeniedException`. */
  deny(name: string): void {
    this.#denied.add(name);
  }

  /** Makes the next `times` calls hang: the request is read and never answered. */
  hangNext(times = 1): void {
    this.#hanging += times;
  }

  /** Makes the next call fail with `status` and error `type` (ThrottlingException, …). */
  failNext(status: number, type: string): void {
    this.#failures.push({ status, type });
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await closeServer(this.#server);
  }

  #find(secretId: string): StoredSecret | undefined {
    return (
      this.#secrets.get(secretId) ??
      [...this.#secrets.values()].find((secret) => secret.arn === secretId)
    );
  }
}
