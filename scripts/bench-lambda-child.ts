/**
 * A Lambda-like execution environment for the cost benchmark, in its own process: imports a
 * function bundle once (its init), then invokes the handler once per `{event}` message from the
 * parent, in this one warm process, with a Lambda-shaped context and a fresh trace header.
 * Everything the function writes goes to standard output as it would to its log group; after
 * each step the child writes one `@@BENCH {json}` line (init time, then each invocation's
 * duration and the process's peak RSS so far), which the parent uses to cut the log per run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [bundle, functionName = 'query-janitor-sweep', memoryMb = '256', timeoutMs = '300000'] =
  process.argv.slice(2);
if (!bundle) throw new Error('usage: bench-lambda-child.ts <bundle> [name] [memoryMb] [timeoutMs]');

const peakRssKb = () =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
const tell = (message: Record<string, unknown>) =>
  process.stdout.write(`@@BENCH ${JSON.stringify(message)}\n`);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const importStarted = performance.now();
const { handler } = (await import(bundle)) as { handler: Handler };
tell({ ready: true, importMs: performance.now() - importStarted, rssKb: peakRssKb() });

process.on('message', async (message: { event?: unknown; exit?: boolean }) => {
  if (message.exit) process.exit(0);
  const requestId = randomUUID();
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  process.env._X_AMZN_TRACE_ID = `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0;Lineage=1:${randomBytes(4).toString('hex')}:0`;
  const end = Date.now() + Number(timeoutMs);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: memoryMb,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/11/28/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => end - Date.now(),
  };
  const started = performance.now();
  let outcome: Record<string, unknown>;
  try {
    const report = (await handler(message.event, context)) as { counts?: unknown } | undefined;
    outcome = { counts: report?.counts };
  } catch (error) {
    outcome = { error: { name: (error as Error).name, message: (error as Error).message } };
  }
  tell({ done: true, durationMs: performance.now() - started, rssKb: peakRssKb(), ...outcome });
});
