/**
 * An in-process emulator of Amazon SQS, speaking the AWS JSON 1.0 protocol the current AWS SDK
 * sends (`POST /`, `X-Amz-Target: AmazonSQS.<Operation>`, `x-amzn-query-mode: true`). It covers
 * SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibilityBatch, GetQueueUrl and
 * GetQueueAttributes, with
 * visibility timeouts, delays, message attributes and the MD5 digests SQS returns.
 *
 * Queue URLs point at the emulator itself (`<url>/123456789012/<name>`). That matters: unless
 * the client has an explicit `endpoint`, the SQS client sends each request to its `QueueUrl`'s
 * host, even with `AWS_ENDPOINT_URL_SQS` set, so only such URLs keep requests on loopback.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback.ts';

/** A message attribute as callers give it (SDK shape; binary values as bytes). */
export interface SqsAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** A message attribute as it travels in JSON: binary values are base64 text. */
interface WireAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** A stored message as {@link SqsEmulator.messages} shows it. */
export interface SqsMessageSnapshot {
  messageId: string;
  body: string;
  attributes: Record<string, SqsAttributeValue>;
  /** Epoch milliseconds. */
  sentTimestamp: number;
  receiveCount: number;
  /** Whether a receive could return it now (not in flight, not delayed). */
  visible: boolean;
}

/** One call as received, whatever its outcome. */
export interface RecordedSqsCall {
  /** `SendMessage`, `ReceiveMessage`, … (the `X-Amz-Target` without its prefix). */
  operation: string;
  input: Record<string, unknown>;
  /** Whether the request carried a SigV4 `Authorization` header. */
  signed: boolean;
  /** Whether the SDK sent `x-amzn-query-mode: true` (query-compatible errors). */
  queryMode: boolean;
  status: number;
  /** The query error code of a failed call (what the SDK reports as the error's `Code`). */
  errorCode?: string;
}

/** Options for {@link SqsEmulator.start}. */
export interface SqsEmulatorOptions {
  /** Epoch milliseconds; visibility timeouts and delays follow it. Defaults to `Date.now`. */
  now?: () => number;
}

/** Options for {@link SqsEmulator.createQueue}. */
export interface SqsQueueOptions {
  /** Seconds a received message stays invisible unless the receive says otherwise (30). */
  visibilityTimeout?: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  attributes: Record<string, WireAttributeValue>;
  sentTimestamp: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  visibleAt: number;
}

interface Queue {
  name: string;
  url: string;
  visibilityTimeout: number;
  createdTimestamp: number;
  messages: StoredMessage[];
  /** Receipt handle → message id; a handle outlives its message, as in SQS. */
  handles: Map<string, string>;
}

class SqsError extends Error {
  readonly status: number;
  /** The shape in `__type` (`com.amazonaws.sqs#<shape>`). */
  readonly shape: string;
  /** The query error code in `x-amzn-query-error`. */
  readonly code: string;

  constructor(status: number, shape: string, code: string, message: string) {
    super(message);
    this.status = status;
    this.shape = shape;
    this.code = code;
  }
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const SENDER_ID = 'AIDAEMULATORSENDER01';
const TARGET_PREFIX = 'AmazonSQS.';
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
] as const;
/**
 * Query error codes of the modeled errors whose code differs from the shape name. The SDK names
 * an error by this code first (then finds the shape whose `awsQueryError` trait matches it), so
 * without the header `QueueDoesNotExist` would not map.
 */
const QUERY_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  UnsupportedOperation: 'AWS.SimpleQueueService.UnsupportedOperation',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
};

/**
 * MD5 of a message's attributes as SQS computes `MD5OfMessageAttributes`: attributes sorted by
 * name; for each, the name and the data type, each as a 4-byte big-endian length and its UTF-8
 * bytes, then a transport byte (1 for a string value, used by String and Number types; 2 for a
 * binary value) and the length-prefixed value. Checked against the published vectors of the AWS
 * SDKs' own checkers. The JS SDK only checks body digests, but other SDKs check this one.
 */
export function md5OfMessageAttributes(
  attributes: Record<string, SqsAttributeValue | WireAttributeValue>,
): string {
  const hash = createHash('md5');
  const lengthPrefixed = (bytes: Uint8Array) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name] as SqsAttributeValue | WireAttributeValue;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(value.DataType, 'utf8'));
    if (value.StringValue !== undefined) {
      hash.update(Buffer.from([1]));
      lengthPrefixed(Buffer.from(value.StringValue, 'utf8'));
    } else {
      const binary = value.BinaryValue ?? '';
      hash.update(Buffer.from([2]));
      lengthPrefixed(typeof binary === 'string' ? Buffer.from(binary, 'base64') : binary);
    }
  }
  return hash.digest('hex');
}

/** MD5 of a body's UTF-8 bytes, as in `MD5OfMessageBody` and `MD5OfBody`. */
export function md5OfBody(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

/**
 * An emulated SQS on loopback.
 *
 * Long polling is not emulated: a receive with `WaitTimeSeconds` answers at once, with no
 * messages if none is visible, so consumer loops in tests never wait.
 */
export class SqsEmulator {
  /** Every call, in arrival order (SDK retries are separate calls). */
  readonly calls: RecordedSqsCall[] = [];
  readonly #server: Server;
  readonly #now: () => number;
  readonly #queues = new Map<string, Queue>();
  readonly #failures: Array<{ status: number; code: string; operation?: string; after: number }> =
    [];
  #url = '';

  private constructor(options: SqsEmulatorOptions) {
    this.#now = options.now ?? Date.now;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const record: RecordedSqsCall = {
          operation: target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target,
          input: {},
          signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
          queryMode: req.headers['x-amzn-query-mode'] === 'true',
          status: 0,
        };
        this.calls.push(record);
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          record.status = status;
          res.writeHead(status, {
            'content-type': 'application/x-amz-json-1.0',
            'x-amzn-requestid': randomUUID(),
            ...headers,
          });
          res.end(JSON.stringify(body));
        };
        try {
          if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
            // Not an SQS target at all: answered like any AWS JSON service, outside the model.
            return answer(400, {
              __type: 'UnknownOperationException',
              message: `Unknown operation ${target}`,
            });
          }
          try {
            record.input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
          } catch {
            throw new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', 'Bad JSON');
          }
          const at = this.#failures.findIndex(
            (failure) => failure.operation === undefined || failure.operation === record.operation,
          );
          const matched = at === -1 ? undefined : this.#failures[at];
          // A failure waits out the calls it was told to let through first.
          const injected =
            matched && matched.after-- <= 0 ? this.#failures.splice(at, 1)[0] : undefined;
          if (injected) {
            throw new SqsError(injected.status, injected.code, injected.code, 'Injected failure');
          }
          answer(200, this.#dispatch(record.operation, record.input));
        } catch (thrown) {
          // A bug in the emulator answers like a service fault rather than crash the test run.
          const error =
            thrown instanceof SqsError
              ? thrown
              : new SqsError(500, 'InternalError', 'InternalError', String(thrown));
          const code = QUERY_CODES[error.code] ?? error.code;
          record.errorCode = code;
          answer(
            error.status,
            { __type: `com.amazonaws.sqs#${error.shape}`, message: error.message },
            { 'x-amzn-query-error': `${code};${error.status >= 500 ? 'Receiver' : 'Sender'}` },
          );
        }
      });
    });
  }

  /** Starts the emulator on 127.0.0.1 with an ephemeral port. */
  static async start(options: SqsEmulatorOptions = {}): Promise<SqsEmulator> {
    const emulator = new SqsEmulator(options);
    emulator.#url = await listenOnLoopback(emulator.#server);
    return emulator;
  }

  /** The value for `AWS_ENDPOINT_URL_SQS` (or the client's `endpoint`). */
  get url(): string {
    return this.#url;
  }

  /** Creates a queue (or finds the existing one) and returns its URL on the emulator. */
  createQueue(name: string, options: SqsQueueOptions = {}): string {
    const existing = this.#queues.get(name);
    if (existing) return existing.url;
    const url = `${this.#url}/${ACCOUNT}/${name}`;
    this.#queues.set(name, {
      name,
      url,
      visibilityTimeout: options.visibilityTimeout ?? 30,
      createdTimestamp: this.#now(),
      messages: [],
      handles: new Map(),
    });
    return url;
  }

  /** Puts a message straight on a queue, as if sent; returns its message id. */
  seed(queueUrl: string, body: string, attributes: Record<string, SqsAttributeValue> = {}): string {
    return this.#enqueue(this.#queue(queueUrl), body, toWire(attributes), 0).messageId;
  }

  /** The messages still on a queue (in flight or not), oldest first. */
  messages(queueUrl: string): SqsMessageSnapshot[] {
    const now = this.#now();
    return this.#queue(queueUrl).messages.map((message) => ({
      messageId: message.messageId,
      body: message.body,
      attributes: fromWire(message.attributes),
      sentTimestamp: message.sentTimestamp,
      receiveCount: message.receiveCount,
      visible: message.visibleAt <= now,
    }));
  }

  /**
   * Makes the next `times` calls fail with `status` and the query error `code` the SDK reports,
   * e.g. `(500, 'InternalError')` or `(403, 'RequestThrottled')`; a modeled shape name such as
   * `QueueDoesNotExist` is sent with its query code so the SDK maps it to its class. With
   * `operation` (`ChangeMessageVisibilityBatch`), only calls of that operation fail; with
   * `after`, only once that many of them went through.
   */
  failNext(status: number, code: string, times = 1, operation?: string, after = 0): void {
    for (let i = 0; i < times; i++) this.#failures.push({ status, code, operation, after });
  }

  /** Forgets calls and injected failures (queues and messages stay). */
  reset(): void {
    this.calls.length = 0;
    this.#failures.length = 0;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await closeServer(this.#server);
  }

  #dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'SendMessage':
        return this.#sendMessage(input);
      case 'ReceiveMessage':
        return this.#receiveMessage(input);
      case 'DeleteMessage':
        return this.#deleteMessage(input);
      case 'ChangeMessageVisibilityBatch':
        return this.#changeVisibilityBatch(input);
      case 'GetQueueUrl':
        return this.#getQueueUrl(input);
      case 'GetQueueAttributes':
        return this.#getQueueAttributes(input);
      default:
        throw new SqsError(
          400,
          'UnsupportedOperation',
          'UnsupportedOperation',
          `The emulator does not implement ${operation}.`,
        );
    }
  }

  #sendMessage(input: Record<string, unknown>): unknown {
    const queue = this.#queue(input.QueueUrl);
    const body = input.MessageBody;
    if (typeof body !== 'string' || body === '') {
      throw invalidParameter('The request must contain the parameter MessageBody.');
    }
    const attributes = (input.MessageAttributes ?? {}) as Record<string, WireAttributeValue>;
    for (const [name, value] of Object.entries(attributes)) validateAttribute(name, value);
    const delay = integerParameter(input, 'DelaySeconds', 0, 900) ?? 0;
    const message = this.#enqueue(queue, body, attributes, delay);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: md5OfBody(body),
      ...(Object.keys(attributes).length > 0
        ? { MD5OfMessageAttributes: md5OfMessageAttributes(attributes) }
        : {}),
    };
  }

  #receiveMessage(input: Record<string, unknown>): unknown {
    const queue = this.#queue(input.QueueUrl);
    const max = integerParameter(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const timeout =
      integerParameter(input, 'VisibilityTimeout', 0, 43_200) ?? queue.visibilityTimeout;
    integerParameter(input, 'WaitTimeSeconds', 0, 20);
    const systemNames = new Set([
      ...stringList(input.AttributeNames),
      ...stringList(input.MessageSystemAttributeNames),
    ]);
    const attributeNames = stringList(input.MessageAttributeNames);
    const now = this.#now();
    const received = queue.messages.filter((message) => message.visibleAt <= now).slice(0, max);
    if (received.length === 0) return {}; // SQS leaves `Messages` out rather than send [].
    return {
      Messages: received.map((message) => {
        message.receiveCount++;
        message.firstReceiveTimestamp ??= now;
        message.visibleAt = now + timeout * 1000;
        const handle = randomBytes(48).toString('base64');
        queue.handles.set(handle, message.messageId);
        const system = systemAttributes(message, systemNames);
        const attributes = selectAttributes(message.attributes, attributeNames);
        return {
          MessageId: message.messageId,
          ReceiptHandle: handle,
          MD5OfBody: md5OfBody(message.body),
          Body: message.body,
          ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
          ...(Object.keys(attributes).length > 0
            ? {
                MessageAttributes: attributes,
                MD5OfMessageAttributes: md5OfMessageAttributes(attributes),
              }
            : {}),
        };
      }),
    };
  }

  #deleteMessage(input: Record<string, unknown>): unknown {
    const queue = this.#queue(input.QueueUrl);
    const handle = String(input.ReceiptHandle ?? '');
    const messageId = queue.handles.get(handle);
    if (messageId === undefined) {
      throw new SqsError(
        404,
        'ReceiptHandleIsInvalid',
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    // Deleting an already deleted message succeeds, as in SQS.
    queue.messages = queue.messages.filter((message) => message.messageId !== messageId);
    return {};
  }

  /** As SQS does: each entry succeeds or fails on its own (an unknown handle, a message not in flight). */
  #changeVisibilityBatch(input: Record<string, unknown>): unknown {
    const queue = this.#queue(input.QueueUrl);
    const entries = Array.isArray(input.Entries)
      ? (input.Entries as Record<string, unknown>[])
      : [];
    if (entries.length === 0) {
      throw new SqsError(
        400,
        'EmptyBatchRequest',
        'AWS.SimpleQueueService.EmptyBatchRequest',
        'There should be at least one ChangeMessageVisibilityBatchRequestEntry in the request.',
      );
    }
    if (entries.length > 10) {
      throw new SqsError(
        400,
        'TooManyEntriesInBatchRequest',
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      );
    }
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
      throw new SqsError(
        400,
        'BatchEntryIdsNotDistinct',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        'Id must be distinct among batch entries.',
      );
    }
    const now = this.#now();
    const successful: Array<{ Id: unknown }> = [];
    const failed: Array<{ Id: unknown; SenderFault: boolean; Code: string; Message: string }> = [];
    for (const entry of entries) {
      const messageId = queue.handles.get(String(entry.ReceiptHandle ?? ''));
      const message = queue.messages.find((candidate) => candidate.messageId === messageId);
      const timeout = entry.VisibilityTimeout;
      if (!message) {
        failed.push({
          Id: entry.Id,
          SenderFault: true,
          Code: 'ReceiptHandleIsInvalid',
          Message: 'The input receipt handle is invalid.',
        });
      } else if (message.visibleAt <= now) {
        failed.push({
          Id: entry.Id,
          SenderFault: true,
          Code: 'MessageNotInflight',
          Message: 'Message does not exist or is not available for visibility timeout change.',
        });
      } else if (
        typeof timeout !== 'number' ||
        !Number.isInteger(timeout) ||
        timeout < 0 ||
        timeout > 43_200
      ) {
        failed.push({
          Id: entry.Id,
          SenderFault: true,
          Code: 'InvalidParameterValue',
          Message: 'Value for parameter VisibilityTimeout is invalid.',
        });
      } else {
        message.visibleAt = now + timeout * 1000;
        successful.push({ Id: entry.Id });
      }
    }
    return { Successful: successful, Failed: failed };
  }

  #getQueueUrl(input: Record<string, unknown>): unknown {
    const queue = this.#queues.get(String(input.QueueName ?? ''));
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  #getQueueAttributes(input: Record<string, unknown>): unknown {
    const queue = this.#queue(input.QueueUrl);
    const now = this.#now();
    const inFlight = (message: StoredMessage) =>
      message.visibleAt > now && message.firstReceiveTimestamp !== undefined;
    const all: Record<string, string> = {
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue.name}`,
      ApproximateNumberOfMessages: String(
        queue.messages.filter((message) => message.visibleAt <= now).length,
      ),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.filter(inFlight).length),
      ApproximateNumberOfMessagesDelayed: String(
        queue.messages.filter((message) => message.visibleAt > now && !inFlight(message)).length,
      ),
      VisibilityTimeout: String(queue.visibilityTimeout),
      CreatedTimestamp: String(Math.floor(queue.createdTimestamp / 1000)),
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
    };
    const names = stringList(input.AttributeNames);
    const wanted = names.includes('All') ? Object.keys(all) : names;
    const attributes: Record<string, string> = {};
    for (const name of wanted) {
      const value = all[name];
      if (value === undefined) {
        throw new SqsError(
          400,
          'InvalidAttributeName',
          'InvalidAttributeName',
          `Unknown Attribute ${name}.`,
        );
      }
      attributes[name] = value;
    }
    // With no attributes asked for, SQS answers without an `Attributes` map.
    return names.length > 0 ? { Attributes: attributes } : {};
  }

  #enqueue(
    queue: Queue,
    body: string,
    attributes: Record<string, WireAttributeValue>,
    delaySeconds: number,
  ): StoredMessage {
    const now = this.#now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      attributes,
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + delaySeconds * 1000,
    };
    queue.messages.push(message);
    return message;
  }

  /** The queue a `QueueUrl` names: its path's `/<account>/<name>`, whatever its host. */
  #queue(queueUrl: unknown): Queue {
    let path: string[];
    try {
      path = new URL(String(queueUrl)).pathname.split('/').filter(Boolean);
    } catch {
      throw new SqsError(
        404,
        'InvalidAddress',
        'InvalidAddress',
        `The address ${String(queueUrl)} is not valid for this endpoint.`,
      );
    }
    const [account, name, ...rest] = path;
    const queue = name === undefined ? undefined : this.#queues.get(name);
    if (!queue || account !== ACCOUNT || rest.length > 0) throw queueDoesNotExist();
    return queue;
  }
}

function queueDoesNotExist(): SqsError {
  return new SqsError(
    400,
    'QueueDoesNotExist',
    'QueueDoesNotExist',
    'The specified queue does not exist.',
  );
}

/**
 * SQS's code for bad parameters. It has no shape in the service model, so the SDK throws a
 * generic `SQSServiceException` named after the query code.
 */
function invalidParameter(message: string): SqsError {
  return new SqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', message);
}

function integerParameter(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function validateAttribute(name: string, value: WireAttributeValue): void {
  const type = String(value?.DataType ?? '');
  const base = type.split('.')[0];
  const field = base === 'Binary' ? value.BinaryValue : value.StringValue;
  if ((base !== 'String' && base !== 'Number' && base !== 'Binary') || !field) {
    throw invalidParameter(
      `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
    );
  }
}

/** The system attributes a receive asked for (`All` or names). */
function systemAttributes(message: StoredMessage, names: Set<string>): Record<string, string> {
  const values: Record<string, string | undefined> = {
    SenderId: SENDER_ID,
    SentTimestamp: String(message.sentTimestamp),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp:
      message.firstReceiveTimestamp === undefined
        ? undefined
        : String(message.firstReceiveTimestamp),
  };
  const result: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = values[name];
    if ((names.has('All') || names.has(name)) && value !== undefined) result[name] = value;
  }
  return result;
}

/** The message attributes a receive asked for: `All`, `.*`, names, or `prefix.*`. */
function selectAttributes(
  attributes: Record<string, WireAttributeValue>,
  names: string[],
): Record<string, WireAttributeValue> {
  const wanted = (name: string) =>
    names.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted(name)));
}

/** The same attributes with each binary value converted: Base64 on the wire, bytes in the model. */
function convertBinary<From, To>(
  attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: From }>,
  convert: (value: From) => To,
): Record<string, { DataType: string; StringValue?: string; BinaryValue?: To }> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: convert(value.BinaryValue) }),
      },
    ]),
  );
}

const toWire = (
  attributes: Record<string, SqsAttributeValue>,
): Record<string, WireAttributeValue> =>
  convertBinary(attributes, (bytes) => Buffer.from(bytes).toString('base64'));

const fromWire = (
  attributes: Record<string, WireAttributeValue>,
): Record<string, SqsAttributeValue> =>
  convertBinary(attributes, (text) => new Uint8Array(Buffer.from(text, 'base64')));
