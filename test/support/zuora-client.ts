import type { Log } from '../../lib/log.ts';
import { TokenCache } from '../../lib/zuora/auth.ts';
import { ZuoraClient, type ZuoraClientOptions } from '../../lib/zuora/client.ts';
import { StaticCredentials } from '../../lib/zuora/credentials.ts';
import { defaultClient, type ZuoraEmulator } from '../emulator/zuora.ts';

/** A log that keeps every record, for assertions. */
export function recordingLog(): Log & {
  records: Array<{ level: string; message: string; attributes?: Record<string, unknown> }>;
} {
  const records: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> =
    [];
  const at = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    records.push(attributes === undefined ? { level, message } : { level, message, attributes });
  };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A real client talking to `emulator` over HTTP. Backoff sleeps are recorded and skipped unless
 * `realSleep` is set, so retry tests are fast and can assert on the delays chosen.
 */
export function clientFor(
  emulator: ZuoraEmulator,
  options: Partial<ZuoraClientOptions> & { realSleep?: boolean } = {},
) {
  const sleeps: number[] = [];
  const log = recordingLog();
  const tokens = options.tokens ?? new TokenCache();
  const { realSleep, ...rest } = options;
  const client = new ZuoraClient({
    credentials: new StaticCredentials({
      clientId: defaultClient.clientId,
      clientSecret: defaultClient.clientSecret,
      baseUrl: emulator.url,
    }),
    tokens,
    trackId: 'test-run-1',
    deadline: Date.now() + 60_000,
    log,
    ...(realSleep
      ? {}
      : {
          sleep: async (ms: number) => {
            sleeps.push(ms);
          },
        }),
    ...rest,
  });
  return { client, tokens, sleeps, log };
}
