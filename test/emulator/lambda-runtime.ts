/**
 * An emulator of the AWS Lambda Runtime API (2018-06-01) for one runtime process, so that the
 * real runtime interface client (`aws-lambda-ric`) can run a function bundle as Lambda would:
 * it long-polls `GET …/invocation/next`, then posts `…/{id}/response` or `…/{id}/error`, or
 * `…/init/error` when the module fails to load.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback.ts';

const PREFIX = '/2018-06-01/runtime';

/** How an invocation ended. */
export interface InvocationResult {
  requestId: string;
  outcome: 'response' | 'error';
  /** The handler's return value, or the runtime's `{errorType, errorMessage, trace}`. */
  payload: unknown;
  durationMs: number;
}

interface Pending {
  requestId: string;
  event: unknown;
  timeoutMs: number;
  handedOutAt?: number;
  resolve: (result: InvocationResult) => void;
}

/** The Runtime API on loopback. */
export class LambdaRuntimeApi {
  readonly #queue: Pending[] = [];
  readonly #waiting: ServerResponse[] = [];
  readonly #pending = new Map<string, Pending>();
  readonly #server = createServer((req, res) => {
    this.#handle(req, res).catch(() => res.destroy());
  });
  readonly #functionArn: string;
  #address = '';
  /** Set when the runtime reported an init error. */
  initError: unknown;

  private constructor(functionArn: string) {
    this.#functionArn = functionArn;
  }

  /** Starts the emulator on 127.0.0.1 (the client's curl is built without IPv6). */
  static async start(
    functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:query-janitor',
  ): Promise<LambdaRuntimeApi> {
    const api = new LambdaRuntimeApi(functionArn);
    api.#address = (await listenOnLoopback(api.#server)).replace('http://', '');
    return api;
  }

  /** The value for `AWS_LAMBDA_RUNTIME_API`. */
  get address(): string {
    return this.#address;
  }

  /** Queues `event`; resolves when the runtime answers. The deadline starts at hand-out. */
  invoke(event: unknown, timeoutMs: number): Promise<InvocationResult> {
    return new Promise((resolve) => {
      const invocation: Pending = { requestId: randomUUID(), event, timeoutMs, resolve };
      this.#pending.set(invocation.requestId, invocation);
      const waiting = this.#waiting.shift();
      if (waiting) this.#handOut(waiting, invocation);
      else this.#queue.push(invocation);
    });
  }

  async close(): Promise<void> {
    for (const res of this.#waiting.splice(0)) res.destroy();
    await closeServer(this.#server);
  }

  #handOut(res: ServerResponse, invocation: Pending): void {
    invocation.handedOutAt = Date.now();
    const body = JSON.stringify(invocation.event);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'lambda-runtime-aws-request-id': invocation.requestId,
      'lambda-runtime-deadline-ms': String(invocation.handedOutAt + invocation.timeoutMs),
      'lambda-runtime-invoked-function-arn': this.#functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Sampled=0`,
    });
    res.end(body);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://runtime').pathname;
    const accepted = () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
    };
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      const next = this.#queue.shift();
      if (next) return this.#handOut(res, next);
      this.#waiting.push(res);
      res.on('close', () => {
        const index = this.#waiting.indexOf(res);
        if (index >= 0) this.#waiting.splice(index, 1);
      });
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      this.initError = parse(text);
      return accepted();
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    const invocation = match
      ? this.#pending.get(decodeURIComponent(match[1] as string))
      : undefined;
    if (req.method === 'POST' && match && invocation?.handedOutAt !== undefined) {
      this.#pending.delete(invocation.requestId);
      invocation.resolve({
        requestId: invocation.requestId,
        outcome: match[2] as 'response' | 'error',
        payload: parse(text),
        durationMs: Date.now() - invocation.handedOutAt,
      });
      return accepted();
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorType: 'NotFound', errorMessage: `no route ${path}` }));
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
