/** Starting and stopping the emulators' HTTP servers on loopback, and AWS JSON 1.1 answers. */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS JSON 1.1 request (`POST /`, the operation in `X-Amz-Target`), read whole. */
export interface AwsJsonRequest {
  readonly method: string;
  readonly target: string;
  readonly body: string;
  /** Whether the SDK signed it with Signature Version 4. */
  readonly signed: boolean;
}

/** Answers the way an AWS JSON 1.1 service does; an error names its type in a header too. */
export type AwsJsonAnswer = (status: number, body: unknown, errorType?: string) => void;

/** A server for an AWS JSON 1.1 service: `handle` gets each request once its body has arrived. */
export function createAwsJsonServer(
  handle: (request: AwsJsonRequest, answer: AwsJsonAnswer) => void,
): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer: AwsJsonAnswer = (status, body, errorType) => {
        const headers: Record<string, string> = {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': randomUUID(),
        };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers);
        res.end(JSON.stringify(body));
      };
      handle(
        {
          method: req.method ?? '',
          target: String(req.headers['x-amz-target'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
          signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
        },
        answer,
      );
    });
  });
}

/** Listens on 127.0.0.1 with an ephemeral port; resolves to the server's base URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Stops listening and drops open (keep-alive) connections at once. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
