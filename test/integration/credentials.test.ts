import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { boundedRequests } from '../../lib/aws/request-timeouts.ts';
import { SecretsManagerCredentials } from '../../lib/aws/secrets-manager.ts';
import {
  CredentialsError,
  parseSecret,
  refreshingOncePerRun,
  StaticCredentials,
} from '../../lib/zuora/credentials.ts';
import { SecretsManagerEmulator } from '../emulator/secrets-manager.ts';

let secrets: SecretsManagerEmulator;
const VALUE = JSON.stringify({
  clientId: 'id-1',
  clientSecret: 'secret-1',
  baseUrl: 'https://rest.zuora.com',
});

beforeEach(async () => {
  secrets = await SecretsManagerEmulator.start();
});

afterEach(async () => {
  await secrets.close();
});

function source(secretId: string, now?: () => number) {
  const client = new SecretsManagerClient({ endpoint: secrets.url, maxAttempts: 1 });
  return new SecretsManagerCredentials({ secretId, client, ...(now ? { now } : {}) });
}

/** A source whose client tries twice, each try bounded as the functions bound it (but 200 ms). */
function retryingSource(secretId: string) {
  const client = new SecretsManagerClient({
    endpoint: secrets.url,
    maxAttempts: 2,
    requestHandler: boundedRequests(200),
  });
  return new SecretsManagerCredentials({ secretId, client });
}

describe('SecretsManagerCredentials', () => {
  it('reads the secret through the AWS SDK and caches it for 5 minutes', async () => {
    secrets.put('janitor', VALUE);
    let now = 0;
    const credentials = source('janitor', () => now);

    const first = await credentials.get();
    now = 4 * 60_000 + 59_000;
    await credentials.get();
    const cachedCalls = secrets.requests.length;
    now = 5 * 60_000;
    await credentials.get();

    expect(first).toEqual({
      clientId: 'id-1',
      clientSecret: 'secret-1',
      baseUrl: 'https://rest.zuora.com',
    });
    expect(cachedCalls).toBe(1);
    expect(secrets.requests).toHaveLength(2);
    expect(secrets.requests[0]).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      secretId: 'janitor',
      signed: true,
    });
  });

  it('shares one read between concurrent callers', async () => {
    secrets.put('janitor', VALUE);
    const credentials = source('janitor');

    await Promise.all([credentials.get(), credentials.get(), credentials.refresh()]);

    expect(secrets.requests).toHaveLength(1);
  });

  it('finds the secret by ARN', async () => {
    const arn = secrets.put('janitor', VALUE);

    await expect(source(arn).get()).resolves.toMatchObject({ clientId: 'id-1' });
  });

  it('reads again at once on refresh, and only once per run through the run wrapper', async () => {
    secrets.put('janitor', VALUE);
    const credentials = source('janitor');
    await credentials.get();
    secrets.put('janitor', VALUE.replace('secret-1', 'secret-2'));
    const run = refreshingOncePerRun(credentials);

    const [a, b] = await Promise.all([run.refresh(), run.refresh()]);
    await run.refresh();

    expect(a.clientSecret).toBe('secret-2');
    expect(b).toBe(a);
    expect(secrets.requests).toHaveLength(2);
    expect((await run.get()).clientSecret).toBe('secret-2');
  });

  it('says clearly that the secret does not exist', async () => {
    await expect(source('missing').get()).rejects.toThrow(
      'Secret missing was not found (ResourceNotFoundException)',
    );
  });

  it('says clearly that access was denied', async () => {
    secrets.put('janitor', VALUE);
    secrets.deny('janitor');

    await expect(source('janitor').get()).rejects.toThrow(
      /Not allowed to read secret janitor \(AccessDeniedException\)/,
    );
  });

  it('reports a throttled or failing service as unavailable', async () => {
    secrets.put('janitor', VALUE);
    secrets.failNext(500, 'InternalServiceError');

    const error = await source('janitor')
      .get()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toBe('unavailable');
  });
});

describe('SecretsManagerCredentials, when Secrets Manager does not answer', () => {
  it("says the run's deadline came first", async () => {
    secrets.put('janitor', VALUE);
    secrets.hangNext(1);

    const error = await source('janitor')
      .get(Date.now() + 800)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(
      "Could not read secret janitor from Secrets Manager: no answer before the run's deadline",
    );
  });

  it('says every try timed out, when the request timeout gave up first', async () => {
    secrets.put('janitor', VALUE);
    secrets.hangNext(2);

    const error = await retryingSource('janitor')
      .get(Date.now() + 10_000)
      .catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      'Could not read secret janitor from Secrets Manager: no answer in time, on every try (TimeoutError)',
    );
    expect(secrets.requests).toHaveLength(2);
  });

  it('reads the secret when only the first try hangs', async () => {
    secrets.put('janitor', VALUE);
    secrets.hangNext(1);

    const credentials = await retryingSource('janitor').get(Date.now() + 10_000);

    expect(credentials.clientId).toBe('id-1');
  });
});

describe('parseSecret', () => {
  it('falls back to ZUORA_BASE_URL when the secret has no baseUrl', () => {
    expect(
      parseSecret('{"clientId":"a","clientSecret":"secret-b"}', 's', {
        value: 'https://rest.eu.zuora.com',
        source: 'the ZUORA_BASE_URL variable',
      }).baseUrl,
    ).toBe('https://rest.eu.zuora.com');
  });

  it.each([
    ['not JSON', 'clientSecret=hunter2-canary', /is not valid JSON/],
    ['an array', '["hunter2-canary"]', /must be a JSON object/],
    [
      'no clientId',
      '{"clientSecret":"hunter2-canary","baseUrl":"https://rest.zuora.com"}',
      /clientId/,
    ],
    [
      'an empty clientSecret',
      '{"clientId":"a","clientSecret":"  ","baseUrl":"https://rest.zuora.com"}',
      /clientSecret: must be a non-empty string/,
    ],
    [
      'a numeric clientSecret',
      '{"clientId":"a","clientSecret":12345678,"baseUrl":"https://rest.zuora.com"}',
      /clientSecret: .*expected string/,
    ],
    [
      'an unknown field',
      '{"clientId":"a","clientSecret":"hunter2-canary","baseUrl":"https://rest.zuora.com","password":"x"}',
      // Counted, not quoted: a key may be a value pasted into the wrong column.
      /invalid: 1 unrecognized key \(not quoted; only the known keys are allowed\)$/,
    ],
    [
      'an http baseUrl',
      '{"clientId":"a","clientSecret":"hunter2-canary","baseUrl":"http://rest.zuora.com"}',
      /baseUrl .* must use https/,
    ],
    [
      'no baseUrl anywhere',
      '{"clientId":"a","clientSecret":"hunter2-canary"}',
      /No Zuora base URL/,
    ],
  ])('refuses %s with a message naming the problem, never the value', (_name, value, message) => {
    const error = (() => {
      try {
        parseSecret(value, 'janitor');
      } catch (e) {
        return e as Error;
      }
    })();

    expect(error).toBeInstanceOf(CredentialsError);
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain('janitor');
    expect(error?.message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});

describe('parseSecret, beyond the fields', () => {
  it("returns the trimmed fields and the secret's own base URL before the fallback", () => {
    expect(
      parseSecret(
        '{"clientId":" id-1 ","clientSecret":"secret-1","baseUrl":"https://rest.zuora.com"}',
        'janitor',
        { value: 'https://rest.eu.zuora.com', source: 'the ZUORA_BASE_URL variable' },
      ),
    ).toEqual({ clientId: 'id-1', clientSecret: 'secret-1', baseUrl: 'https://rest.zuora.com' });
  });

  it.each([
    [undefined, 'Secret janitor has no SecretString (binary secrets are not supported)'],
    ['null', 'Secret janitor must be a JSON object with clientId and clientSecret'],
    ['"text"', 'Secret janitor must be a JSON object with clientId and clientSecret'],
  ])('refuses %j as a secret', (value, message) => {
    expect(() => parseSecret(value, 'janitor')).toThrow(new CredentialsError(message));
  });

  it('refuses a client secret too short to keep out of messages, in the secret or a variable', () => {
    expect(() =>
      parseSecret(
        '{"clientId":"a","clientSecret":"Zq7!x","baseUrl":"https://rest.zuora.com"}',
        'janitor',
      ),
    ).toThrow(
      new CredentialsError(
        'clientSecret in the secret janitor is shorter than 6 characters: too short to keep out of messages; use the client secret Zuora issued',
      ),
    );
    expect(
      () =>
        new StaticCredentials({
          clientId: 'a',
          clientSecret: 'Zq7!x',
          baseUrl: 'https://rest.zuora.com',
        }),
    ).toThrow(/^ZUORA_CLIENT_SECRET is shorter than 6 characters/);
    expect(
      parseSecret(
        '{"clientId":"a","clientSecret":"Zq7!x6","baseUrl":"https://rest.zuora.com"}',
        'janitor',
      ).clientSecret,
    ).toBe('Zq7!x6');
  });

  it("never repeats the host of a secret's base URL", () => {
    const error = (() => {
      try {
        parseSecret(
          '{"clientId":"a","clientSecret":"secret-b","baseUrl":"http://canary-host.example.com"}',
          'janitor',
        );
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();

    expect(error?.message).toBe(
      'baseUrl in the secret janitor is invalid: Zuora base URL must use https (plain http is allowed only to a loopback address), got http to a host that is not a loopback address',
    );
  });

  it('names where the bad base URL came from: the secret, or the fallback', () => {
    const fallback = {
      value: 'http://rest.zuora.com',
      source: "the tenant's baseUrl in fleet.json",
    };
    expect(() =>
      parseSecret('{"clientId":"a","clientSecret":"secret-b"}', 'janitor', fallback),
    ).toThrow(/^the tenant's baseUrl in fleet\.json is invalid: /);
    expect(() =>
      parseSecret(
        '{"clientId":"a","clientSecret":"secret-b","baseUrl":"ftp://x"}',
        'janitor',
        fallback,
      ),
    ).toThrow(/^baseUrl in the secret janitor is invalid: /);
    expect(() =>
      parseSecret('{"clientId":"a","clientSecret":"secret-b"}', 'janitor', {
        value: undefined,
        source: "the tenant's baseUrl in fleet.json",
      }),
    ).toThrow(
      new CredentialsError(
        "No Zuora base URL: set baseUrl in the secret janitor or the tenant's baseUrl in fleet.json",
      ),
    );
  });

  it('marks a bad secret as invalid, to be fixed rather than retried', () => {
    const error = (() => {
      try {
        parseSecret('{}', 'janitor');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).reason).toBe('invalid');
    expect((error as CredentialsError).name).toBe('CredentialsError');
  });
});

describe('StaticCredentials', () => {
  it('gives the same credentials on get and refresh', async () => {
    const credentials = new StaticCredentials({
      clientId: 'id-1',
      clientSecret: 'secret-1',
      baseUrl: 'https://rest.apisandbox.zuora.com',
    });
    const expected = {
      clientId: 'id-1',
      clientSecret: 'secret-1',
      baseUrl: 'https://rest.apisandbox.zuora.com',
    };

    expect(await credentials.get()).toEqual(expected);
    expect(await credentials.refresh()).toEqual(expected);
  });

  it.each([
    [{}, 'Missing Zuora credentials: set ZUORA_CLIENT_ID and ZUORA_CLIENT_SECRET'],
    [{ clientId: ' ', clientSecret: 'secret-s' }, 'Missing Zuora credentials: set ZUORA_CLIENT_ID'],
    [{ clientId: 'id', clientSecret: '' }, 'Missing Zuora credentials: set ZUORA_CLIENT_SECRET'],
    [
      { clientId: 'id', clientSecret: 'secret-s' },
      'No Zuora base URL: set the ZUORA_BASE_URL variable',
    ],
  ])('refuses %j', (fields, message) => {
    expect(() => new StaticCredentials(fields)).toThrow(new CredentialsError(message));
  });

  it('names the base URL by where it was configured', () => {
    expect(
      () =>
        new StaticCredentials({
          clientId: 'id',
          clientSecret: 'secret-s',
          baseUrl: 'http://rest.zuora.com',
          baseUrlSource: "the tenant's baseUrl in fleet.json",
        }),
    ).toThrow(/^the tenant's baseUrl in fleet\.json is invalid: .*https/);
  });
});
