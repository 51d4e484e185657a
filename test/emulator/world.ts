/**
 * Both emulators with the default client's secret in place, and the environment the functions
 * read to reach them. Used by tests, the demo and the benchmark.
 */
import { SecretsManagerEmulator } from './secrets-manager.ts';
import { credentialsSecret, ZuoraEmulator } from './zuora.ts';

/** Starts both emulators and stores the credentials secret as `secretName`. */
export async function startWorld(secretName = 'query-janitor/zuora') {
  const zuora = await ZuoraEmulator.start();
  const secrets = await SecretsManagerEmulator.start();
  secrets.put(secretName, credentialsSecret(zuora.url));
  const env: Record<string, string> = {
    ZUORA_SECRET_ID: secretName,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    JANITOR_DRY_RUN: 'false',
  };
  return {
    zuora,
    secrets,
    env,
    close: async () => {
      await zuora.close();
      await secrets.close();
    },
  };
}

/** Both emulators with a secret in place (see {@link startWorld}). */
export type World = Awaited<ReturnType<typeof startWorld>>;
