/**
 * `query-janitor redrive` as ops run it: a child process reading the failed-events queue through
 * the real SQS client, and with `--apply` sending commands back through the real EventBridge
 * client. The queue holds all three formats AWS writes to it, plus one it does not.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CANCEL_DETAIL_TYPE, SWEEP_DETAIL_TYPE } from '../../lib/contract/names.ts';
import { MAX_SHOWN_DETAIL, planRedrive } from '../../lib/redrive.ts';
import { EventBridgeEmulator } from '../emulator/eventbridge.ts';
import { SqsEmulator } from '../emulator/sqs.ts';
import { runCliProcess } from '../support/processes.ts';

const cancelEvent = {
  version: '0',
  id: 'e-1',
  source: 'query-janitor',
  'detail-type': CANCEL_DETAIL_TYPE,
  detail: { tenant: 'eu', jobIds: ['job-a', 'job-b'] },
};
const sweepEvent = {
  version: '0',
  id: 'e-2',
  source: 'query-janitor',
  'detail-type': SWEEP_DETAIL_TYPE,
  detail: { tenant: 'us', dryRun: true },
};

/** A Lambda on-failure destination record for an asynchronous invocation that failed. */
function destinationRecord(payload: unknown, errorType: string, errorMessage: string): string {
  return JSON.stringify({
    version: '1.0',
    timestamp: '2026-11-28T10:00:00.000Z',
    requestContext: {
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:cancel:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType, errorMessage, trace: [] },
  });
}

const str = (value: string) => ({ DataType: 'String', StringValue: value });

describe('planRedrive', () => {
  it('re-sends a command from a destination record, naming its tenant and first error', () => {
    const plan = planRedrive({
      body: destinationRecord(cancelEvent, 'TenantBusyError', 'tenant "eu" is busy'),
      attributes: {},
    });
    expect(plan).toMatchObject({
      format: 'lambda-destination',
      action: 'resend',
      tenant: 'eu',
      error: 'TenantBusyError: tenant "eu" is busy',
      command: {
        source: 'query-janitor',
        detailType: CANCEL_DETAIL_TYPE,
        detail: cancelEvent.detail,
      },
    });
  });

  it("keeps a command of another source than the deployment's, which no rule would deliver", () => {
    const body = destinationRecord({ ...cancelEvent, source: 'ops.oncall' }, 'Error', 'boom');

    expect(planRedrive({ body, attributes: {} })).toMatchObject({
      action: 'keep',
      note: expect.stringMatching(/^has source ops\.oncall, not the deployment's query-janitor/),
    });
    expect(planRedrive({ body, attributes: {} }, { eventSource: 'ops.oncall' }).action).toBe(
      'resend',
    );
  });

  it('withholds a first error that quotes query text', () => {
    const plan = planRedrive({
      body: destinationRecord(
        cancelEvent,
        'Error',
        'Query failed near: select ssn, name from contact',
      ),
      attributes: {},
    });

    expect(plan.error).toBe('[message withheld: it may quote query text]');
  });

  it('warns that a refused command is refused again', () => {
    const plan = planRedrive({
      body: destinationRecord(cancelEvent, 'InvalidEventError', 'no such tenant'),
      attributes: {},
    });
    expect(plan.action).toBe('resend');
    expect(plan.note).toMatch(/refused again/);
  });

  it('removes a scheduled run rather than sending it again, in either dead-letter format', () => {
    const scheduler = planRedrive({
      body: JSON.stringify({ trigger: 'schedule', tenant: 'eu' }),
      attributes: {
        ERROR_CODE: 'Lambda.TooManyRequestsException',
        SCHEDULE_ARN: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/eu',
      },
    });
    const destination = planRedrive({
      body: destinationRecord({ trigger: 'schedule', tenant: 'us' }, 'Error', 'boom'),
      attributes: {},
    });
    expect(scheduler).toMatchObject({
      format: 'scheduler-dead-letter',
      action: 'remove',
      tenant: 'eu',
    });
    expect(destination).toMatchObject({
      format: 'lambda-destination',
      action: 'remove',
      tenant: 'us',
    });
  });

  it('keeps what cannot show it came from the janitor: it would be sent as whoever redrives', () => {
    const forged = JSON.stringify({ ...cancelEvent, detail: { tenant: 'eu', jobIds: ['x'] } });
    expect(planRedrive({ body: forged, attributes: { ERROR_CODE: 'X' } }).action).toBe('keep');
    expect(
      planRedrive(
        {
          body: forged,
          attributes: { ERROR_CODE: 'X', RULE_ARN: 'arn:aws:events:us-east-1:1:rule/other-bus/r' },
        },
        { eventBus: 'janitor-bus' },
      ),
    ).toMatchObject({ action: 'keep', note: expect.stringMatching(/another bus/) });
    const record = JSON.parse(destinationRecord(cancelEvent, 'Error', 'boom'));
    delete record.requestContext.functionArn;
    expect(planRedrive({ body: JSON.stringify(record), attributes: {} }).action).toBe('keep');
  });

  it('keeps a message naming a function, rule or schedule of another account than the queue', () => {
    const fromElsewhere = destinationRecord(cancelEvent, 'Error', 'boom').replace(
      ':123456789012:function:cancel',
      ':999999999999:function:someone-else',
    );
    const context = { account: '123456789012' };

    expect(planRedrive({ body: fromElsewhere, attributes: {} }, context)).toMatchObject({
      action: 'keep',
      note: expect.stringMatching(/another account than the queue's/),
    });
    expect(
      planRedrive(
        {
          body: JSON.stringify(cancelEvent),
          attributes: {
            ERROR_CODE: 'X',
            RULE_ARN: 'arn:aws:events:us-east-1:999999999999:rule/b/r',
          },
        },
        context,
      ).action,
    ).toBe('keep');
    // The same record from the queue's own account is sent again.
    const own = destinationRecord(cancelEvent, 'Error', 'boom');
    expect(planRedrive({ body: own, attributes: {} }, context).action).toBe('resend');
  });

  it('keeps every message naming where it came from when the queue URL names no account', () => {
    const own = destinationRecord(cancelEvent, 'Error', 'boom');

    expect(planRedrive({ body: own, attributes: {} }, { account: null })).toMatchObject({
      action: 'keep',
      note: expect.stringMatching(/the queue URL names no account/),
    });
  });

  it('sends only what it can show whole: a detail too long to show is kept', () => {
    const ids = Array.from(
      { length: 100 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const largest = {
      ...cancelEvent,
      detail: { tenant: 'eu', jobIds: ids, reason: 'r'.repeat(256) },
    };
    const padded = {
      ...cancelEvent,
      detail: { tenant: 'eu', jobIds: ids, note: 'x'.repeat(10_000) },
    };

    // The largest valid command fits.
    expect(JSON.stringify(largest.detail).length).toBeLessThanOrEqual(MAX_SHOWN_DETAIL);
    expect(
      planRedrive({ body: destinationRecord(largest, 'Error', 'boom'), attributes: {} }).action,
    ).toBe('resend');
    expect(
      planRedrive({ body: destinationRecord(padded, 'Error', 'boom'), attributes: {} }),
    ).toMatchObject({ action: 'keep', note: expect.stringMatching(/too long to show whole/) });
  });

  it('keeps what it does not recognise, including events that are not janitor commands', () => {
    expect(planRedrive({ body: 'hello', attributes: {} }).action).toBe('keep');
    expect(
      planRedrive({
        body: JSON.stringify({ ...cancelEvent, 'detail-type': 'Something Else' }),
        attributes: {
          RULE_ARN: 'arn:aws:events:us-east-1:123456789012:rule/bus/x',
          ERROR_CODE: 'X',
        },
      }),
    ).toMatchObject({ format: 'rule-dead-letter', action: 'keep' });
  });

  it('bounds and flattens what the queue says before anyone reads it', () => {
    const plan = planRedrive({
      body: JSON.stringify({ ...cancelEvent, detail: { tenant: `\u001b[31m${'t'.repeat(5000)}` } }),
      attributes: { ERROR_CODE: 'Boom\u202e', ERROR_MESSAGE: `line\nbreak ${'x'.repeat(10_000)}` },
    });
    expect(plan.error.length).toBeLessThanOrEqual(300);
    expect((plan.tenant ?? '').length).toBeLessThanOrEqual(200);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none survive
    expect(`${plan.error}${plan.tenant}`).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
  });
});

describe('query-janitor redrive (child process)', () => {
  let sqs: SqsEmulator;
  let bridge: EventBridgeEmulator;
  let queueUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sqs = await SqsEmulator.start();
    bridge = await EventBridgeEmulator.start();
    env = { AWS_ENDPOINT_URL_SQS: sqs.url, AWS_ENDPOINT_URL_EVENTBRIDGE: bridge.url };
  });
  afterAll(async () => {
    await sqs.close();
    await bridge.close();
  });

  let ids: { destination: string; rule: string; scheduler: string; unknown: string };
  beforeEach(() => {
    queueUrl = sqs.createQueue(`failed-${Math.random().toString(36).slice(2)}`);
    bridge.reset();
    ids = {
      destination: sqs.seed(
        queueUrl,
        destinationRecord(cancelEvent, 'TenantBusyError', 'tenant "eu" is busy'),
      ),
      rule: sqs.seed(queueUrl, JSON.stringify(sweepEvent), {
        RULE_ARN: str('arn:aws:events:us-east-1:123456789012:rule/janitor-bus/sweep'),
        TARGET_ARN: str('arn:aws:lambda:us-east-1:123456789012:function:sweep'),
        ERROR_CODE: str('Lambda.TooManyRequestsException'),
        ERROR_MESSAGE: str('Rate exceeded'),
      }),
      scheduler: sqs.seed(queueUrl, JSON.stringify({ trigger: 'schedule', tenant: 'eu' }), {
        SCHEDULE_ARN: str('arn:aws:scheduler:us-east-1:123456789012:schedule/default/eu'),
        SCHEDULED_TIME: str('2026-11-28T10:00:00Z'),
        ERROR_CODE: str('Lambda.TooManyRequestsException'),
        ERROR_MESSAGE: str('Rate exceeded'),
      }),
      unknown: sqs.seed(queueUrl, 'not from the janitor'),
    };
  });

  it('shows what each message is and changes nothing without --apply', async () => {
    const run = await runCliProcess(['redrive', '--queue-url', queueUrl, '--json'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plans = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    const byId = new Map(plans.map((plan) => [plan.messageId, plan]));
    expect(byId.get(ids.destination)).toMatchObject({
      format: 'lambda-destination',
      action: 'resend',
      tenant: 'eu',
    });
    expect(byId.get(ids.rule)).toMatchObject({
      format: 'rule-dead-letter',
      action: 'resend',
      tenant: 'us',
    });
    expect(byId.get(ids.scheduler)).toMatchObject({
      format: 'scheduler-dead-letter',
      action: 'remove',
      tenant: 'eu',
    });
    expect(byId.get(ids.unknown)).toMatchObject({ format: 'unknown', action: 'keep' });
    expect(plans.every((plan) => plan.done === undefined)).toBe(true);
    expect(bridge.events).toEqual([]);
    // Still there, and still visible to the next reader: a dry run does not hide messages.
    expect(sqs.messages(queueUrl).map((m) => [m.messageId, m.visible])).toEqual(
      Object.values(ids).map((id) => [id, true]),
    );
  });

  it('in words, ends by saying nothing was done', async () => {
    const run = await runCliProcess(['redrive', '--queue-url', queueUrl], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${CANCEL_DETAIL_TYPE} for tenant eu (lambda-destination`);
    expect(run.stdout).toContain('failed with: Lambda.TooManyRequestsException: Rate exceeded');
    expect(run.stdout).toMatch(/Nothing was sent or removed/);
    // What --apply would send is shown in full, and where each message came from.
    expect(run.stdout).toContain(
      `sends: source query-janitor, detail ${JSON.stringify(cancelEvent.detail)}`,
    );
    expect(run.stdout).toContain('from: arn:aws:lambda:us-east-1:123456789012:function:cancel');
  });

  it('refuses a queue URL that is not one, or carries credentials, before any call', async () => {
    for (const url of ['not a url', 'https://user:PASSWORD@sqs.us-east-1.amazonaws.com/1/q']) {
      const run = await runCliProcess(['redrive', '--queue-url', url], { env });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--queue-url must/);
      expect(run.stderr).not.toContain('PASSWORD');
    }
  });

  it('refuses an event source that no deployment could have', async () => {
    const run = await runCliProcess(
      ['redrive', '--queue-url', queueUrl, '--event-source', 'ops oncall'],
      { env },
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--event-source must be 1-128 letters, digits, dots, dashes/);
  });

  it('--apply re-sends commands to the bus, removes them and the scheduled run, keeps the rest', async () => {
    const run = await runCliProcess(
      ['redrive', '--queue-url', queueUrl, '--event-bus', 'janitor-bus', '--apply', '--json'],
      { env },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(
      bridge.events.map((event) => [
        event.eventBusName,
        event.source,
        event.detailType,
        event.detail,
      ]),
    ).toEqual([
      ['janitor-bus', 'query-janitor', CANCEL_DETAIL_TYPE, cancelEvent.detail],
      ['janitor-bus', 'query-janitor', SWEEP_DETAIL_TYPE, sweepEvent.detail],
    ]);
    expect(sqs.messages(queueUrl).map((m) => m.messageId)).toEqual([ids.unknown]);
  });

  it('shows every message of a queue longer than a batch, and --apply sends only those', async () => {
    const more = Array.from({ length: 21 }, (_, index) =>
      sqs.seed(
        queueUrl,
        destinationRecord(
          { ...cancelEvent, detail: { tenant: 'eu', jobIds: [`job-${index}`] } },
          'TenantBusyError',
          'busy',
        ),
      ),
    );

    const review = await runCliProcess(['redrive', '--queue-url', queueUrl, '--json'], { env });
    const shown = (JSON.parse(review.stdout) as Array<{ messageId: string }>).map(
      (plan) => plan.messageId,
    );
    expect(shown.sort()).toEqual([...Object.values(ids), ...more].sort());
    // Shown again at once: the review hid each message only while it read the rest.
    expect(sqs.messages(queueUrl).every((message) => message.visible)).toBe(true);

    const apply = await runCliProcess(
      ['redrive', '--queue-url', queueUrl, '--event-bus', 'janitor-bus', '--apply'],
      { env },
    );
    expect(apply.code).toBe(0);
    expect(bridge.events).toHaveLength(2 + more.length);
    expect(sqs.messages(queueUrl).map((m) => m.messageId)).toEqual([ids.unknown]);
  });

  it('says why what it read stays hidden when it cannot show it again', async () => {
    sqs.failNext(403, 'AccessDenied', 1, 'ChangeMessageVisibilityBatch');

    const run = await runCliProcess(['redrive', '--queue-url', queueUrl], { env });

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^query-janitor: 4 message\(s\) stay hidden until their visibility timeout ends \(at most 60 s\): AccessDenied/,
    );
  });

  it('shows again what it read before the queue failed, and exits 1', async () => {
    for (let i = 0; i < 15; i++) sqs.seed(queueUrl, `extra ${i}`);
    // The first receive goes through; the second fails, on both of its tries.
    sqs.failNext(500, 'InternalError', 1, 'ReceiveMessage', 1);
    sqs.failNext(500, 'InternalError', 1, 'ReceiveMessage');

    const run = await runCliProcess(['redrive', '--queue-url', queueUrl], { env });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/could not read the queue/);
    expect(sqs.messages(queueUrl).every((message) => message.visible)).toBe(true);
  });

  it('says when --max stopped the reading', async () => {
    const run = await runCliProcess(['redrive', '--queue-url', queueUrl, '--max', '2'], { env });

    expect(run.code).toBe(0);
    expect(run.stdout.match(/^\d+\. /gm)).toHaveLength(2);
    expect(run.stderr).toMatch(/--max 2 reached: more messages may be waiting/);
    expect(sqs.messages(queueUrl).every((message) => message.visible)).toBe(true);
  });

  it("leaves a command of another source than the deployment's: no rule would deliver it", async () => {
    const foreign = sqs.seed(
      queueUrl,
      destinationRecord({ ...cancelEvent, source: 'ops.oncall' }, 'InvalidEventError', 'source'),
    );
    const args = ['redrive', '--queue-url', queueUrl, '--event-bus', 'janitor-bus', '--apply'];

    const run = await runCliProcess([...args, '--json'], { env });

    const plans = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(plans.find((plan) => plan.messageId === foreign)).toMatchObject({
      action: 'keep',
      note: expect.stringMatching(/source ops\.oncall, not the deployment's query-janitor/),
    });
    expect(bridge.events.map((event) => event.source)).not.toContain('ops.oncall');
    expect(
      sqs
        .messages(queueUrl)
        .map((m) => m.messageId)
        .sort(),
    ).toEqual([ids.unknown, foreign].sort());
    // What --apply left is shown again at once, not hidden for its minute.
    expect(sqs.messages(queueUrl).every((message) => message.visible)).toBe(true);

    // Named as the deployment's source, it is sent (and the janitor's own ones are then not).
    const again = await runCliProcess([...args, '--event-source', 'ops.oncall'], { env });
    expect(again.code).toBe(0);
    expect(bridge.events.filter((event) => event.source === 'ops.oncall')).toHaveLength(1);
  });

  it('keeps a command the bus did not accept, and says so with exit code 1', async () => {
    bridge.failEntries((entry) => entry.DetailType === SWEEP_DETAIL_TYPE, 'ThrottlingException');
    const run = await runCliProcess(
      ['redrive', '--queue-url', queueUrl, '--event-bus', 'janitor-bus', '--apply'],
      { env },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/failed: not accepted by the bus: ThrottlingException/);
    expect(
      sqs
        .messages(queueUrl)
        .map((m) => m.messageId)
        .sort(),
    ).toEqual([ids.rule, ids.unknown].sort());
  });

  it('shows every job id a command it would send carries (what --apply sends is what was shown)', async () => {
    const jobIds = Array.from(
      { length: 100 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    sqs.seed(queueUrl, destinationRecord({ ...cancelEvent, detail: { jobIds } }, 'Error', 'boom'));

    const run = await runCliProcess(['redrive', '--queue-url', queueUrl], { env });

    for (const id of jobIds) expect(run.stdout).toContain(id);
  });

  it('shows a reason with invisible characters escaped, exactly as --apply sends it', async () => {
    const reason = 'ticket 1234\u202e9876 \u2066x\u2069   three\u00a0\u00a0spaces\u200bend';
    sqs.seed(
      queueUrl,
      destinationRecord({ ...cancelEvent, detail: { jobIds: ['x'], reason } }, 'Error', 'boom'),
    );

    const run = await runCliProcess(['redrive', '--queue-url', queueUrl], { env });
    const json = await runCliProcess(['redrive', '--queue-url', queueUrl, '--json'], { env });

    // Escaped, not flattened: what the line shows is the JSON that is sent.
    const shown = run.stdout.split('\n').find((line) => line.includes('ticket 1234'));
    expect(shown).toContain(String.raw`ticket 1234\u202e9876 \u2066x\u2069   three`);
    expect(shown).toContain(String.raw`\u200bend`);
    expect(`${run.stdout}${json.stdout}`).not.toMatch(/[\u202e\u2066\u2069\u200b]/);
    const plans = JSON.parse(json.stdout) as Array<{ command?: { detail: { reason?: string } } }>;
    expect(plans.map((plan) => plan.command?.detail.reason)).toContain(reason);
  });

  it.each([
    ['with a trailing slash', (url: string) => `${url}/`],
    ['with an upper-case scheme', (url: string) => url.replace(/^http/, 'HTTP')],
  ])('checks the account of a queue URL %s', async (_case, variant) => {
    const fromElsewhere = destinationRecord(cancelEvent, 'Error', 'boom').replace(
      ':123456789012:function:cancel',
      ':999999999999:function:someone-else',
    );
    sqs.seed(queueUrl, fromElsewhere);

    const run = await runCliProcess(['redrive', '--queue-url', variant(queueUrl), '--json'], {
      env,
    });

    const plans = JSON.parse(run.stdout) as Array<{ origin?: string; action: string }>;
    expect(plans.find((plan) => plan.origin?.includes('999999999999'))?.action).toBe('keep');
  });

  it('gives up on a queue that never answers, with exit code 1, instead of hanging', async () => {
    const held: ServerResponse[] = [];
    const silent = createServer((_req, res) => held.push(res));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const run = await runCliProcess(
        ['redrive', '--queue-url', `${endpoint}/123456789012/failed-events`],
        { env: { ...env, AWS_ENDPOINT_URL_SQS: endpoint } },
      );
      expect(run.stderr).toMatch(/^query-janitor: could not read the queue: /);
      expect(run.code).toBe(1);
      // Two attempts, then it stops.
      expect(held).toHaveLength(2);
    } finally {
      for (const res of held) res.destroy();
      silent.close();
    }
  }, 30_000);

  it('refuses --apply without a bus before touching anything', async () => {
    const run = await runCliProcess(['redrive', '--queue-url', queueUrl, '--apply'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--event-bus/);
    expect(sqs.messages(queueUrl)).toHaveLength(4);
    expect(bridge.events).toEqual([]);
  });
});
