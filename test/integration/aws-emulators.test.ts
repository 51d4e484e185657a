import {
  EventBridgeClient,
  InternalException,
  ListRulesCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  ThrottlingException,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBridgeEmulator, eventBusArn, putEventsEntrySize } from '../emulator/eventbridge.ts';
import { md5OfBody, md5OfMessageAttributes, SqsEmulator } from '../emulator/sqs.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('EventBridgeEmulator through @aws-sdk/client-eventbridge', () => {
  let bridge: EventBridgeEmulator;
  let client: EventBridgeClient;

  beforeEach(async () => {
    bridge = await EventBridgeEmulator.start();
    // The endpoint is read when the client is built, so the variable has to be set first.
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', bridge.url);
    client = new EventBridgeClient({});
  });

  afterEach(async () => {
    client.destroy();
    await bridge.close();
  });

  const entry = (detail: object = { jobId: 'j-1' }): PutEventsRequestEntry => ({
    Source: 'query-janitor',
    DetailType: 'JobCancelled',
    Detail: JSON.stringify(detail),
  });

  it('accepts events, answers an EventId per entry in order and records them', async () => {
    const time = new Date('2026-01-02T03:04:05Z');
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ jobId: 'j-1' }),
          {
            ...entry({ jobId: 'j-2' }),
            EventBusName: eventBusArn('janitor'),
            Resources: ['arn:aws:lambda:us-east-1:123456789012:function:sweep'],
            Time: time,
          },
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(0);
    expect(output.Entries?.map((result) => result.EventId)).toEqual(
      bridge.events.map((event) => event.eventId),
    );
    expect(bridge.events).toMatchObject([
      { eventBusName: 'default', source: 'query-janitor', detail: { jobId: 'j-1' } },
      {
        eventBusName: 'janitor',
        detailType: 'JobCancelled',
        detail: { jobId: 'j-2' },
        resources: ['arn:aws:lambda:us-east-1:123456789012:function:sweep'],
        time,
      },
    ]);
    expect(bridge.calls).toHaveLength(1);
    expect(bridge.calls[0]).toMatchObject({
      target: 'AWSEvents.PutEvents',
      signed: true,
      status: 200,
      failedEntryCount: 0,
    });
  });

  it('takes 10 entries in a call and rejects 11 as a whole, without retrying', async () => {
    const ten = Array.from({ length: 10 }, (_, i) => entry({ i }));
    await expect(client.send(new PutEventsCommand({ Entries: ten }))).resolves.toMatchObject({
      FailedEntryCount: 0,
    });

    const error = await client
      .send(new PutEventsCommand({ Entries: [...ten, entry()] }))
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    expect(bridge.events).toHaveLength(10);
  });

  it('takes entries totalling 256 KB and rejects one byte more', async () => {
    // Each entry costs 10 bytes before padding: Source and DetailType 1 each, {"p":""} 8.
    const small = { Source: 's', DetailType: 'd', Detail: '{"p":""}' };
    const big = (extra: number) => ({
      ...small,
      Detail: JSON.stringify({ p: 'x'.repeat(256 * 1024 - 3 * 10 + extra) }),
    });
    expect(putEventsEntrySize(big(0)) + 2 * putEventsEntrySize(small)).toBe(256 * 1024);

    await expect(
      client.send(new PutEventsCommand({ Entries: [big(0), small, small] })),
    ).resolves.toMatchObject({ FailedEntryCount: 0 });
    const error = await client
      .send(new PutEventsCommand({ Entries: [big(1), small, small] }))
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect(bridge.events).toHaveLength(3);
  });

  it('fails invalid entries inside a 200 answer, keeping the order', async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          { Source: 'query-janitor', Detail: '{}' },
          { ...entry(), Detail: 'not json' },
          { ...entry(), Detail: '[1,2]' },
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(3);
    expect(output.Entries).toEqual([
      { EventId: expect.any(String) },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage:
          'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ]);
    expect(bridge.events).toHaveLength(1);
  });

  it('injects partial failures the SDK does not retry, and accepts the resent entries', async () => {
    bridge.failEntries(1, 'ThrottlingException', 'Rate exceeded');
    bridge.failEntries((e) => e.DetailType === 'Flaky', 'InternalFailure');
    const entries = [entry({ n: 1 }), entry({ n: 2 }), { ...entry({ n: 3 }), DetailType: 'Flaky' }];

    const output = await client.send(new PutEventsCommand({ Entries: entries }));

    expect(output.FailedEntryCount).toBe(2);
    expect(output.Entries).toEqual([
      { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
      { EventId: expect.any(String) },
      { ErrorCode: 'InternalFailure', ErrorMessage: 'Injected InternalFailure' },
    ]);
    expect(bridge.calls).toHaveLength(1);
    expect(bridge.events.map((event) => event.detail)).toEqual([{ n: 2 }]);

    const resent = await client.send(new PutEventsCommand({ Entries: [entries[0] ?? entry()] }));
    expect(resent.FailedEntryCount).toBe(0);
  });

  it('retries a 500 twice: 3 attempts in all', async () => {
    bridge.failNext(500, 'InternalException', 2);
    const output = await client.send(new PutEventsCommand({ Entries: [entry()] }));
    expect(output.$metadata.attempts).toBe(3);
    expect(bridge.calls.map((call) => call.status)).toEqual([500, 500, 200]);

    bridge.reset();
    bridge.failNext(500, 'InternalException', 3);
    const error = await client
      .send(new PutEventsCommand({ Entries: [entry()] }))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InternalException);
    expect(error).toMatchObject({ $metadata: { attempts: 3 } });
    expect(bridge.calls).toHaveLength(3);
    expect(bridge.events).toHaveLength(0);
  });

  it('retries ThrottlingException the same 3 times (backoff jitter stubbed to 0)', async () => {
    // Throttling backs off 0–1 s then 0–2 s; zero jitter keeps the test fast.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    bridge.failNext(400, 'ThrottlingException', 3);

    const error = await client
      .send(new PutEventsCommand({ Entries: [entry()] }))
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error).toMatchObject({ $metadata: { attempts: 3 } });
    expect(bridge.calls.map((call) => call.errorType)).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
    ]);
  });

  it('answers other operations with UnknownOperationException', async () => {
    const error = await client.send(new ListRulesCommand({})).catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(bridge.calls[0]?.target).toBe('AWSEvents.ListRules');
  });
});

describe('SqsEmulator through @aws-sdk/client-sqs', () => {
  let sqs: SqsEmulator;
  let client: SQSClient;
  let now: number;

  beforeEach(async () => {
    now = Date.parse('2026-01-02T03:04:05Z');
    sqs = await SqsEmulator.start({ now: () => now });
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', sqs.url);
    client = new SQSClient({});
  });

  afterEach(async () => {
    client.destroy();
    await sqs.close();
  });

  it('computes MD5OfMessageAttributes like SQS (the AWS SDKs’ published vectors)', () => {
    expect(
      md5OfMessageAttributes({
        test_attribute_name_2: { DataType: 'String', StringValue: 'test_attribute_value_2' },
        test_attribute_name_1: { DataType: 'String', StringValue: 'test_attribute_value_1' },
      }),
    ).toBe('d53f3b558fe951154770f25cb63dbba9');
    expect(
      md5OfMessageAttributes({
        test_attribute_name: {
          DataType: 'Binary',
          BinaryValue: new TextEncoder().encode('test_attribute_value'),
        },
      }),
    ).toBe('23f6bd27ea87aab7dfeadcc9aebee495');
    expect(
      md5OfMessageAttributes({
        ordinal: { DataType: 'Number', StringValue: '1' },
        category: { DataType: 'String', StringValue: 'test' },
      }),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
  });

  it('sends, receives and deletes a message with attributes', async () => {
    const queueUrl = sqs.createQueue('janitor-jobs');
    const attributes = {
      tenant: { DataType: 'String', StringValue: 'acme' },
      attempt: { DataType: 'Number', StringValue: '2' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 254, 255]) },
    };

    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"jobId":"j-1","note":"ünïcode"}',
        MessageAttributes: attributes,
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5OfBody('{"jobId":"j-1","note":"ünïcode"}'));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));

    // The SDK checks MD5OfBody itself and throws if it is wrong.
    const received = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const message = received.Messages?.[0];
    expect(received.Messages).toHaveLength(1);
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"jobId":"j-1","note":"ünïcode"}',
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
      MessageAttributes: attributes,
      Attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(now) },
    });

    await client.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }),
    );
    expect(sqs.messages(queueUrl)).toEqual([]);
    const counts = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: '0' });
    expect(sqs.calls.map((call) => call.operation)).toEqual([
      'SendMessage',
      'ReceiveMessage',
      'DeleteMessage',
      'GetQueueAttributes',
    ]);
    expect(sqs.calls.every((call) => call.signed && call.queryMode)).toBe(true);
  });

  it('hides a received message for the visibility timeout, then returns it', async () => {
    const queueUrl = sqs.createQueue('janitor-jobs', { visibilityTimeout: 60 });
    const id = sqs.seed(queueUrl, 'job j-1', { tenant: { DataType: 'String', StringValue: 'a' } });
    const receive = (visibilityTimeout?: number) =>
      client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
        }),
      );

    const first = await receive(30);
    expect(first.Messages?.[0]).toMatchObject({
      MessageId: id,
      Attributes: { ApproximateReceiveCount: '1' },
    });
    expect(first.Messages?.[0]?.MessageAttributes).toBeUndefined();

    now += 29_999;
    expect((await receive()).Messages).toBeUndefined();
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });

    now += 1;
    const second = await receive();
    expect(second.Messages?.[0]).toMatchObject({
      MessageId: id,
      Attributes: { ApproximateReceiveCount: '2' },
    });
    expect(second.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);

    // The queue's own timeout (60 s) applied to the second receive.
    now += 59_999;
    expect(sqs.messages(queueUrl)).toMatchObject([{ messageId: id, visible: false }]);
    now += 1;
    expect(sqs.messages(queueUrl)).toMatchObject([
      { messageId: id, receiveCount: 2, visible: true },
    ]);
  });

  it('returns at most MaxNumberOfMessages (up to 10) and at once on a long poll', async () => {
    const queueUrl = sqs.createQueue('janitor-jobs');
    for (let i = 0; i < 12; i++) sqs.seed(queueUrl, `m${i}`);

    const ten = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    const rest = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    const started = Date.now();
    const empty = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }),
    );

    expect(ten.Messages?.map((message) => message.Body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    expect(rest.Messages?.map((message) => message.Body)).toEqual(['m10', 'm11']);
    expect(empty.Messages).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message:
        'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
    });
  });

  it('maps an unknown queue to QueueDoesNotExist, by name and by URL', async () => {
    const known = sqs.createQueue('janitor-jobs');
    const found = await client.send(new GetQueueUrlCommand({ QueueName: 'janitor-jobs' }));
    expect(found.QueueUrl).toBe(known);

    const byName = await client
      .send(new GetQueueUrlCommand({ QueueName: 'missing' }))
      .catch((thrown: unknown) => thrown);
    const byUrl = await client
      .send(new ReceiveMessageCommand({ QueueUrl: `${sqs.url}/123456789012/missing` }))
      .catch((thrown: unknown) => thrown);

    for (const error of [byName, byUrl]) {
      expect(error).toBeInstanceOf(QueueDoesNotExist);
      expect(error).toMatchObject({
        Code: 'AWS.SimpleQueueService.NonExistentQueue',
        message: 'The specified queue does not exist.',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      });
    }
  });

  it('rejects a receipt handle it never issued', async () => {
    const queueUrl = sqs.createQueue('janitor-jobs');

    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'forged' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });
});
