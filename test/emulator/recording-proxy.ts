/**
 * A recording HTTP proxy on loopback: forwards every request unchanged to `target` (dynalite, or
 * any emulator) and records what went through, so a benchmark can count the calls a function
 * makes to a service it does not emulate itself (for example DynamoDB `PutItem` and `DeleteItem`
 * per run). Point the SDK at {@link RecordingProxy.url} instead of the target.
 */
import { createServer, request, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback.ts';

/** One request that went through the proxy. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** `X-Amz-Target` of an AWS JSON protocol call (`DynamoDB_20120810.PutItem`), or ''. */
  target: string;
  requestBytes: number;
  status: number;
}

/** A forwarding, recording proxy (see the module comment). */
export class RecordingProxy {
  readonly requests: ProxiedRequest[] = [];
  readonly #server: Server;
  #url = '';

  private constructor(target: string) {
    const to = new URL(target);
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const record: ProxiedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          target: String(req.headers['x-amz-target'] ?? ''),
          requestBytes: body.length,
          status: 0,
        };
        this.requests.push(record);
        const forwarded = request(
          {
            host: to.hostname,
            port: to.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: to.host },
          },
          (answer) => {
            record.status = answer.statusCode ?? 0;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forwarded.on('error', () => {
          record.status = 502;
          res.writeHead(502).end();
        });
        forwarded.end(body);
      });
    });
  }

  /** Starts a proxy to `target` (a base URL) on 127.0.0.1 with an ephemeral port. */
  static async start(target: string): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(target);
    proxy.#url = await listenOnLoopback(proxy.#server);
    return proxy;
  }

  /** The base URL to give the client. */
  get url(): string {
    return this.#url;
  }

  /** Recorded requests whose `X-Amz-Target` ends with `.${operation}`. */
  calls(operation: string): ProxiedRequest[] {
    return this.requests.filter((r) => r.target.endsWith(`.${operation}`));
  }

  async close(): Promise<void> {
    await closeServer(this.#server);
  }
}
