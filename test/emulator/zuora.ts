/**
 * An in-process emulator of the Zuora endpoints query-janitor uses: `POST /oauth/token` and the
 * three Data Query job routes, on 127.0.0.1 with an ephemeral port. It behaves like the real
 * service where the janitor depends on it (status codes, error bodies, headers, rate limits,
 * gzip) and can be scripted to misbehave (latency, 429, 5xx, dropped connections, malformed
 * bodies, expiring tokens, jobs that finish mid-run). Every request is recorded.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { closeServer, listenOnLoopback } from './loopback.ts';

/** Statuses a job can have. */
export type EmulatedStatus =
  | 'submitted'
  | 'accepted'
  | 'in_progress'
  | 'completed'
  | 'failed'
  | 'cancelled';

/** A job as the emulator stores it. */
export interface EmulatedJob {
  id: string;
  query: string;
  queryStatus: EmulatedStatus;
  updatedOn: string;
  createdBy: string;
  sourceData: 'LIVE' | 'WAREHOUSE';
  remainingRetries: number;
  useIndexJoin: boolean;
  /** Only visible to requests with this `Zuora-Entity-Ids`, when set. */
  entityId?: string | undefined;
  /** Creation order: lists are newest first. */
  createdSeq: number;
  dataFile?: string;
  outputRows?: number;
  processingTime?: number;
  /**
   * What the emulator sends instead of the stored fields (a value of undefined leaves the field
   * out): nulls, missing fields, dates without an offset, as a real or unusual Zuora might.
   */
  wire?: Record<string, unknown>;
}

/** An OAuth client the emulator accepts. */
export interface EmulatedClient {
  clientId: string;
  clientSecret: string;
  /** The Zuora user the client acts as (jobs' `createdBy`). */
  userId: string;
  /** Non-admin clients see and cancel only their own jobs. */
  admin: boolean;
}

/** Routes faults can target. */
export type Route = 'token' | 'list' | 'get' | 'cancel';

/** What an injected fault does to a matching request. */
export type Fault =
  | {
      kind: 'status';
      status: number;
      retryAfter?: string;
      body?: string;
      contentType?: string;
      headers?: Record<string, string>;
    }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'truncated-gzip' }
  | { kind: 'body'; status?: number; body: string; contentType?: string }
  /** Answers `status` with a body that repeats what the request carried (form, headers). */
  | { kind: 'echo'; status: number; format?: 'json' | 'html' | 'query-error' }
  /** Handles the request as usual (the cancel takes effect), then drops the connection. */
  | { kind: 'drop-after' }
  /** Handles the request as usual but sends its body as plain text labelled `gzip`. */
  | { kind: 'bad-encoding' }
  /** Handles the request as usual and adds these response headers. */
  | { kind: 'headers'; headers: Record<string, string> }
  /** Handles the request as usual and sends `reshape(payload)` instead of the payload. */
  | { kind: 'reshape'; reshape: (payload: unknown) => unknown };

/** A Data Query error response (`{code, message}` with `status`), for {@link ZuoraEmulator.inject}. */
export function queryError(status: number, code: number, message: string): Fault {
  return { kind: 'status', status, body: JSON.stringify({ code, message }) };
}

interface FaultRule {
  route: Route | undefined;
  jobId: string | undefined;
  remaining: number;
  fault: Fault;
}

/** One request the emulator received, and what it answered. */
export interface RecordedRequest {
  method: string;
  route: Route | 'unknown';
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  /** 0 when the connection was dropped. */
  status: number;
  jobId?: string | undefined;
  /** The job's status when the request was handled (get/cancel), before any change. */
  jobStatusBefore?: EmulatedStatus | undefined;
  /** The job as stored when the request was handled (get/cancel), before any change. */
  jobBefore?: Readonly<EmulatedJob> | undefined;
  receivedAt: number;
  answeredAt: number;
  /** The response body was sent gzip-compressed. */
  gzipped?: boolean;
  /** The JSON the emulator answered with (before any compression), for checks on the wire. */
  sent?: unknown;
  /** What hostile mode did to this answer, if anything. */
  hostility?: string | undefined;
  /** The request took effect: this cancel moved the job to `cancelled` (whatever was answered). */
  cancelledJob?: boolean;
}

/** Options of {@link ZuoraEmulator.start}. */
export interface ZuoraEmulatorOptions {
  /** Latency added to every response, in milliseconds. */
  latencyMs?: number;
  /** `expires_in` of minted tokens, in seconds (Zuora: 3599). */
  tokenTtlSeconds?: number;
  /** Largest `pageSize` accepted (the spec: 100; 400 above it). */
  maxPageSize?: number;
  /** Lists every matching job whatever `pageSize` asks (a server that ignores the parameter). */
  ignorePageSize?: boolean;
  /** Requests per rate-limit window per client; `RateLimit-*` headers report it. */
  rateLimit?: number;
  rateLimitWindowSeconds?: number;
  /** Prefix of minted access tokens (leak tests use a recognisable canary). */
  tokenPrefix?: string;
  now?: () => number;
}

const DEFAULT_CLIENT: EmulatedClient = {
  clientId: '0f6a5c1e-6f4b-4f8e-9d3a-2b7c4e1d9a01',
  clientSecret: 'emulator-client-secret-0001',
  userId: 'a1b2c3d4-0000-4000-8000-00000000a001',
  admin: true,
};

/** The emulator's default admin client (tests add others). */
export const defaultClient: Readonly<EmulatedClient> = DEFAULT_CLIENT;

/** A Secrets Manager `SecretString` holding the default client's credentials for `baseUrl`. */
export function credentialsSecret(baseUrl: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    baseUrl,
    ...fields,
  });
}

/** An emulated Zuora tenant on loopback. */
export class ZuoraEmulator {
  readonly requests: RecordedRequest[] = [];
  latencyMs: number;
  tokenTtlSeconds: number;
  maxPageSize: number;
  /** See {@link ZuoraEmulatorOptions.ignorePageSize}. */
  ignorePageSize: boolean;
  rateLimit: number;
  rateLimitWindowSeconds: number;
  tokenPrefix: string;
  /** Called after each request is answered (or dropped): chaos tests script events with it. */
  onRequest: ((request: RecordedRequest) => void) | undefined;
  readonly #server: Server;
  readonly #now: () => number;
  readonly #jobs = new Map<string, EmulatedJob>();
  readonly #clients = new Map<string, EmulatedClient>();
  readonly #tokens = new Map<string, { client: EmulatedClient; expiresAt: number }>();
  readonly #faults: FaultRule[] = [];
  readonly #finishAfter = new Map<string, { route: Route; status: EmulatedStatus }>();
  readonly #windows = new Map<string, { start: number; count: number }>();
  /** Faults that change how a normally handled request is answered. */
  readonly #modifiers = new WeakMap<RecordedRequest, Fault>();
  /** Hostile mode: the seed, and whether answers are still being tampered with. */
  #hostile: { seed: number; answers: boolean; sequence: number } | undefined;
  #seq = 0;
  #url = '';

  private constructor(options: ZuoraEmulatorOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3599;
    this.maxPageSize = options.maxPageSize ?? 100;
    this.ignorePageSize = options.ignorePageSize ?? false;
    this.rateLimit = options.rateLimit ?? 10_000;
    this.rateLimitWindowSeconds = options.rateLimitWindowSeconds ?? 60;
    this.tokenPrefix = options.tokenPrefix ?? '';
    this.#now = options.now ?? Date.now;
    this.#clients.set(DEFAULT_CLIENT.clientId, { ...DEFAULT_CLIENT });
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ message: `emulator bug: ${String(error)}` }));
      });
    });
  }

  /** Starts an emulator on 127.0.0.1 with an ephemeral port. */
  static async start(options: ZuoraEmulatorOptions = {}): Promise<ZuoraEmulator> {
    const emulator = new ZuoraEmulator(options);
    emulator.#url = await listenOnLoopback(emulator.#server);
    return emulator;
  }

  /** The base URL to give the client. */
  get url(): string {
    return this.#url;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    await closeServer(this.#server);
  }

  /** Forgets jobs, requests, faults, tokens and extra clients: a fresh tenant on the same port. */
  reset(): void {
    this.#jobs.clear();
    this.requests.length = 0;
    this.#faults.length = 0;
    this.#tokens.clear();
    this.#finishAfter.clear();
    this.#windows.clear();
    this.#clients.clear();
    this.#clients.set(DEFAULT_CLIENT.clientId, { ...DEFAULT_CLIENT });
    this.latencyMs = 0;
    this.ignorePageSize = false;
    this.onRequest = undefined;
    this.#hostile = undefined;
  }

  /** Registers another OAuth client (for example a non-admin one, or rotated credentials). */
  addClient(client: Partial<EmulatedClient> & { clientId: string; clientSecret: string }): void {
    this.#clients.set(client.clientId, {
      userId: randomUUID(),
      admin: true,
      ...client,
    });
  }

  /** Changes a client's secret (rotation): the old secret stops working at once. */
  rotateSecret(clientId: string, clientSecret: string): void {
    const client = this.#clients.get(clientId);
    if (!client) throw new Error(`no such client ${clientId}`);
    client.clientSecret = clientSecret;
  }

  /** Adds a job; `ageMinutes` sets `updatedOn` that far in the past. Jobs added later are newer. */
  addJob(
    job: Partial<Omit<EmulatedJob, 'createdSeq'>> & { ageMinutes?: number } = {},
  ): EmulatedJob {
    const { ageMinutes, ...fields } = job;
    const updatedOn =
      fields.updatedOn ?? new Date(this.#now() - (ageMinutes ?? 0) * 60_000).toISOString();
    const stored: EmulatedJob = {
      id: randomUUID(),
      query: 'select Id from Account',
      queryStatus: 'accepted',
      createdBy: DEFAULT_CLIENT.userId,
      sourceData: 'LIVE',
      remainingRetries: 3,
      useIndexJoin: false,
      ...fields,
      updatedOn,
      createdSeq: ++this.#seq,
    };
    this.#jobs.set(stored.id, stored);
    return stored;
  }

  /** The stored job (a live reference), or undefined. */
  job(id: string): EmulatedJob | undefined {
    return this.#jobs.get(id);
  }

  /** Every stored job, newest first. */
  jobs(): EmulatedJob[] {
    return [...this.#jobs.values()].sort((a, b) => b.createdSeq - a.createdSeq);
  }

  /** Sets a job's status now (it finished, failed, or someone else cancelled it). */
  setStatus(id: string, status: EmulatedStatus): void {
    const job = this.#jobs.get(id);
    if (!job) throw new Error(`no such job ${id}`);
    job.queryStatus = status;
    job.updatedOn = new Date(this.#now()).toISOString();
  }

  /** Removes a job (it will answer 404). */
  deleteJob(id: string): void {
    this.#jobs.delete(id);
  }

  /**
   * Makes `id` reach `status` right after the emulator answers the next `route` request that
   * shows it: `list` (finishes between the list and the re-read) or `get` (between the re-read
   * and the cancel).
   */
  finishAfter(id: string, route: 'list' | 'get', status: EmulatedStatus = 'completed'): void {
    this.#finishAfter.set(id, { route, status });
  }

  /** Injects `fault` into the next `times` requests matching `route` (and `jobId`). */
  inject(fault: Fault, match: { route?: Route; jobId?: string; times?: number } = {}): void {
    this.#faults.push({
      route: match.route,
      jobId: match.jobId,
      remaining: match.times ?? 1,
      fault,
    });
  }

  /**
   * Hostile mode, driven by `seed`. Each job is sent in a form fixed by the seed and its id:
   * optional fields left out or null, `createdBy` in another case or absurdly long, `updatedOn`
   * without an offset (the same instant, read as UTC) or unreadable, extra fields. And, until
   * {@link calm}, answers are tampered with: error bodies and `Zuora-Request-Id` headers that
   * echo the request (form body, bearer token), 500s quoting a job's query, minimal cancel
   * bodies, bodies labelled gzip that are not, cancels whose answer is lost.
   */
  hostile(seed: number): void {
    this.#hostile = { seed, answers: true, sequence: 0 };
  }

  /** Stops tampering with answers; jobs keep the form hostile mode gave them. */
  calm(): void {
    if (this.#hostile) this.#hostile.answers = false;
  }

  /** A number in [0, 1) fixed by the hostile seed and `key`. */
  #draw(key: string): number {
    let hash = (this.#hostile?.seed ?? 0) ^ 0x9e3779b9;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    return ((hash ^ (hash >>> 16)) >>> 0) / 4_294_967_296;
  }

  /** The fields of a job as hostile mode sends them (fixed per seed and job). */
  hostileFields(job: EmulatedJob): Record<string, unknown> {
    if (!this.#hostile) return {};
    const fields: Record<string, unknown> = {};
    const pick = (key: string, p: number) => this.#draw(`${job.id}:${key}`) < p;
    if (pick('createdBy-omit', 0.08)) fields.createdBy = undefined;
    else if (pick('createdBy-null', 0.05)) fields.createdBy = null;
    else if (pick('createdBy-case', 0.1)) fields.createdBy = job.createdBy.toUpperCase();
    else if (pick('createdBy-huge', 0.03))
      fields.createdBy = `${job.createdBy}${'x'.repeat(5_000)}`;
    if (pick('query-omit', 0.08)) fields.query = undefined;
    else if (pick('query-null', 0.05)) fields.query = null;
    if (pick('date-local', 0.15)) fields.updatedOn = job.updatedOn.replace(/(\.\d+)?Z$/, '');
    else if (pick('date-bad', 0.06)) {
      const bad = ['1', 'Nov 28', '', '2026-02-30T00:00:00Z', '0001-01-01T00:00:00Z'];
      fields.updatedOn = bad[Math.floor(this.#draw(`${job.id}:bad`) * bad.length)];
    }
    if (pick('nulls', 0.1)) Object.assign(fields, { sourceData: null, remainingRetries: null });
    if (pick('extra', 0.1))
      Object.assign(fields, { unexpected: { nested: [1, 'two'] }, x: '\u202e' });
    return fields;
  }

  #hostileAnswer(
    record: RecordedRequest,
    status: number,
    payload: unknown,
    headers: Record<string, string>,
  ):
    | {
        what: string;
        status: number;
        payload: unknown;
        headers: Record<string, string>;
        drop?: boolean;
        badEncoding?: boolean;
      }
    | undefined {
    const hostile = this.#hostile;
    if (!hostile?.answers || record.route === 'unknown') return undefined;
    const roll = this.#draw(`answer:${hostile.sequence++}`);
    const echoed = `${record.body} ${record.headers.authorization ?? ''} ${JSON.stringify(record.headers)}`;
    const job = record.jobId ? this.#jobs.get(record.jobId) : undefined;
    if (roll < 0.04) {
      return {
        what: 'echo-500',
        status: 500,
        headers,
        payload: {
          message: `Internal error for ${echoed}`,
          reasons: [{ code: 5, message: echoed }],
        },
      };
    }
    if (roll < 0.07 && record.route === 'token') {
      return {
        what: 'echo-401',
        status: 401,
        headers,
        payload: { error: 'invalid_client', error_description: `rejected ${echoed}` },
      };
    }
    if (roll < 0.11) {
      const id =
        this.#draw(`id:${hostile.sequence}`) < 0.5
          ? (record.headers.authorization ?? 'x')
          : `${'r'.repeat(5_000)}`;
      return {
        what: 'request-id',
        status,
        payload,
        headers: { ...headers, 'zuora-request-id': id },
      };
    }
    if (roll < 0.14 && job) {
      return {
        what: 'quoted-query',
        status: 500,
        headers,
        payload: { code: 1010, message: `Query failed near: ${job.query}` },
      };
    }
    if (roll < 0.17 && status === 200) {
      return { what: 'bad-encoding', status, payload, headers, badEncoding: true };
    }
    if (roll < 0.22 && record.route === 'cancel' && status === 200) {
      return {
        what: 'minimal-cancel',
        status,
        headers,
        payload: { data: { id: record.jobId, queryStatus: 'cancelled' } },
      };
    }
    if (roll < 0.25 && record.route === 'cancel' && status === 200) {
      return { what: 'lost-cancel', status, payload, headers, drop: true };
    }
    return undefined;
  }

  /** Removes every pending fault. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Expires every issued token now (the next API call gets 401). */
  expireTokens(): void {
    for (const token of this.#tokens.values()) token.expiresAt = this.#now() - 1;
  }

  /** Issued tokens (values), for leak tests. */
  issuedTokens(): string[] {
    return [...this.#tokens.keys()];
  }

  /** Recorded requests for one route. */
  requestsTo(route: Route): RecordedRequest[] {
    return this.requests.filter((request) => request.route === route);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = this.#now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    const { route, jobId } = routeOf(req.method ?? 'GET', url.pathname);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      route,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flattenHeaders(req),
      body,
      status: 0,
      jobId,
      receivedAt,
      answeredAt: 0,
    };
    this.requests.push(record);
    const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      record.status = status;
      record.answeredAt = this.#now();
      let modifier = this.#modifiers.get(record);
      if (modifier && status >= 300) {
        // A modifier targets a request handled as usual; an error answer (a stale token's 401)
        // leaves it for the next matching request.
        this.#faults.unshift({
          route: record.route as Route,
          jobId: undefined,
          remaining: 1,
          fault: modifier,
        });
        modifier = undefined;
      }
      if (modifier?.kind === 'drop-after') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      const headers = { ...extra, ...this.#commonHeaders(req) };
      const sent = modifier?.kind === 'reshape' ? modifier.reshape(payload) : payload;
      if (modifier?.kind === 'headers') Object.assign(headers, modifier.headers);
      if (modifier?.kind === 'bad-encoding') {
        res.writeHead(status, {
          ...headers,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        });
        res.end(JSON.stringify(sent));
        return;
      }
      const hostile = this.#hostileAnswer(record, status, sent, headers);
      if (hostile) {
        record.hostility = hostile.what;
        if (hostile.drop) {
          record.status = 0;
          req.socket.destroy();
          return;
        }
        if (hostile.badEncoding) {
          res.writeHead(hostile.status, {
            ...hostile.headers,
            'content-type': 'application/json',
            'content-encoding': 'gzip',
          });
          res.end(JSON.stringify(hostile.payload));
          return;
        }
        record.status = hostile.status;
        record.sent = hostile.payload;
        record.gzipped = this.#send(req, res, hostile.status, hostile.payload, hostile.headers);
        return;
      }
      record.sent = sent;
      record.gzipped = this.#send(req, res, status, sent, headers);
    };

    try {
      await this.#route(req, res, url, body, route, jobId, record, reply);
    } finally {
      this.onRequest?.(record);
    }
  }

  async #route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: string,
    route: Route | 'unknown',
    jobId: string | undefined,
    record: RecordedRequest,
    reply: (status: number, payload: unknown, extra?: Record<string, string>) => void,
  ): Promise<void> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = route === 'unknown' ? undefined : this.#takeFault(route, jobId);
    if (fault) {
      const handled = await this.#applyFault(fault, req, res, record);
      if (handled) return;
    }

    if (route === 'token') return this.#token(body, reply);
    if (route === 'unknown')
      return reply(404, { message: `No route for ${req.method} ${url.pathname}` });

    const client = this.#authenticate(req);
    if (!client) return reply(401, { message: 'Authentication error' });
    const limited = this.#rateLimit(client.clientId);
    if (limited.exceeded) {
      return reply(
        429,
        { code: 70, message: 'Too many requests' },
        {
          'retry-after': String(limited.reset),
          ...limited.headers,
        },
      );
    }
    const entity = req.headers['zuora-entity-ids'];
    const visible = (job: EmulatedJob) =>
      job.entityId === undefined || entity === undefined || job.entityId === entity;

    if (route === 'list') {
      const status = url.searchParams.get('queryStatus');
      const pageSize = Number(url.searchParams.get('pageSize') ?? 20);
      if (
        status !== null &&
        !['accepted', 'in_progress', 'completed', 'failed', 'cancelled'].includes(status)
      ) {
        return reply(
          400,
          { code: 1002, message: `Invalid queryStatus: ${status}` },
          limited.headers,
        );
      }
      const invalid = !Number.isInteger(pageSize) || pageSize < 1 || pageSize > this.maxPageSize;
      if (invalid && !this.ignorePageSize) {
        return reply(
          400,
          { code: 1002, message: `pageSize must be between 1 and ${this.maxPageSize}` },
          limited.headers,
        );
      }
      const page = this.jobs()
        .filter((job) => visible(job))
        .filter((job) => client.admin || job.createdBy === client.userId)
        .filter((job) => status === null || job.queryStatus === status)
        .slice(0, this.ignorePageSize ? undefined : pageSize);
      reply(
        200,
        { data: page.map((job) => publicJob(job, this.hostileFields(job))) },
        limited.headers,
      );
      for (const job of page) this.#maybeFinish(job, 'list');
      return;
    }

    const job = jobId ? this.#jobs.get(jobId) : undefined;
    if (!job || !visible(job)) {
      return reply(404, { code: 1001, message: `No such query: ${jobId}` }, limited.headers);
    }
    record.jobStatusBefore = job.queryStatus;
    record.jobBefore = { ...job };
    if (!client.admin && job.createdBy !== client.userId) {
      return reply(
        403,
        { code: 1009, message: `Access denied for restricted job ${job.id}` },
        limited.headers,
      );
    }
    if (route === 'get') {
      reply(200, { data: publicJob(job, this.hostileFields(job)) }, limited.headers);
      this.#maybeFinish(job, 'get');
      return;
    }
    // cancel
    if (job.queryStatus !== 'accepted' && job.queryStatus !== 'in_progress') {
      return reply(
        400,
        {
          code: 1003,
          message: `Query job ${job.id} is not in accepted or in_progress status`,
        },
        limited.headers,
      );
    }
    job.queryStatus = 'cancelled';
    job.updatedOn = new Date(this.#now()).toISOString();
    record.cancelledJob = true;
    reply(200, { data: publicJob(job, this.hostileFields(job)) }, limited.headers);
  }

  #token(body: string, reply: (status: number, payload: unknown) => void): void {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      reply(400, { message: 'grant_type must be client_credentials' });
      return;
    }
    const client = this.#clients.get(form.get('client_id') ?? '');
    if (!client || client.clientSecret !== form.get('client_secret')) {
      reply(401, { message: 'Bad credentials' });
      return;
    }
    const token = this.tokenPrefix + randomUUID().replaceAll('-', '');
    this.#tokens.set(token, {
      client,
      expiresAt: this.#now() + this.tokenTtlSeconds * 1000,
    });
    reply(200, {
      access_token: token,
      token_type: 'bearer',
      expires_in: this.tokenTtlSeconds,
      scope: `user.${client.userId.replaceAll('-', '')} service.data-query.read tenant.9999`,
      jti: randomUUID().replaceAll('-', ''),
    });
  }

  #authenticate(req: IncomingMessage): EmulatedClient | undefined {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    const token = match?.[1] ? this.#tokens.get(match[1]) : undefined;
    if (!token || token.expiresAt <= this.#now()) return undefined;
    return token.client;
  }

  #rateLimit(key: string) {
    const now = this.#now();
    const windowMs = this.rateLimitWindowSeconds * 1000;
    let window = this.#windows.get(key);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    const reset = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000));
    const remaining = Math.max(0, this.rateLimit - window.count);
    return {
      exceeded: window.count > this.rateLimit,
      reset,
      headers: {
        'ratelimit-limit': String(this.rateLimit),
        'ratelimit-remaining': String(remaining),
        'ratelimit-reset': String(reset),
      },
    };
  }

  #maybeFinish(job: EmulatedJob, route: 'list' | 'get'): void {
    const plan = this.#finishAfter.get(job.id);
    if (plan?.route !== route) return;
    this.#finishAfter.delete(job.id);
    this.setStatus(job.id, plan.status);
  }

  #takeFault(route: Route, jobId: string | undefined): Fault | undefined {
    const index = this.#faults.findIndex(
      (rule) =>
        (rule.route === undefined || rule.route === route) &&
        (rule.jobId === undefined || rule.jobId === jobId),
    );
    if (index < 0) return undefined;
    const rule = this.#faults[index] as FaultRule;
    rule.remaining--;
    if (rule.remaining <= 0) this.#faults.splice(index, 1);
    return rule.fault;
  }

  /** Applies a fault; returns true when the request was answered (or dropped) by it. */
  async #applyFault(
    fault: Fault,
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
  ): Promise<boolean> {
    const common = this.#commonHeaders(req);
    switch (fault.kind) {
      case 'delay':
        await sleep(fault.ms);
        return false;
      case 'drop-after':
      case 'bad-encoding':
      case 'headers':
      case 'reshape':
        this.#modifiers.set(record, fault);
        return false;
      case 'echo': {
        record.status = fault.status;
        record.answeredAt = this.#now();
        const echoed = `${record.method} ${record.path} ${record.body} ${JSON.stringify(record.headers)}`;
        const body =
          fault.format === 'html'
            ? `<html><body><h1>Error</h1><pre>${echoed}</pre></body></html>`
            : JSON.stringify(
                fault.format === 'query-error'
                  ? { code: 1002, message: `Cannot process request: ${echoed}` }
                  : { message: `Rejected: ${echoed}`, reasons: [{ code: 53, message: echoed }] },
              );
        res.writeHead(fault.status, {
          ...common,
          'content-type': fault.format === 'html' ? 'text/html' : 'application/json',
        });
        res.end(body);
        return true;
      }
      case 'drop':
        record.answeredAt = this.#now();
        req.socket.destroy();
        return true;
      case 'status': {
        record.status = fault.status;
        record.answeredAt = this.#now();
        const headers: Record<string, string> = {
          ...common,
          'content-type': fault.contentType ?? 'application/json',
        };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        Object.assign(headers, fault.headers);
        res.writeHead(fault.status, headers);
        res.end(fault.body ?? JSON.stringify({ message: `Injected ${fault.status}` }));
        return true;
      }
      case 'body':
        record.status = fault.status ?? 200;
        record.answeredAt = this.#now();
        res.writeHead(record.status, {
          ...common,
          'content-type': fault.contentType ?? 'application/json',
        });
        res.end(fault.body);
        return true;
      case 'truncated-gzip': {
        record.status = 200;
        record.answeredAt = this.#now();
        const full = gzipSync(
          JSON.stringify({ data: [...this.#jobs.values()].map((job) => publicJob(job)) }),
        );
        const cut = full.subarray(0, Math.floor(full.length / 2));
        res.writeHead(200, {
          ...common,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(cut.length),
        });
        res.end(cut);
        return true;
      }
    }
  }

  #commonHeaders(req: IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = { 'zuora-request-id': randomUUID() };
    const track = req.headers['zuora-track-id'];
    if (typeof track === 'string') headers['zuora-track-id'] = track;
    return headers;
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    payload: unknown,
    headers: Record<string, string>,
  ): boolean {
    let body: Buffer = Buffer.from(JSON.stringify(payload));
    const out: Record<string, string> = { ...headers, 'content-type': 'application/json' };
    const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (acceptsGzip && body.length > 1000) {
      body = gzipSync(body);
      out['content-encoding'] = 'gzip';
    }
    out['content-length'] = String(body.length);
    res.writeHead(status, out);
    res.end(body);
    return out['content-encoding'] === 'gzip';
  }
}

function publicJob(
  job: EmulatedJob,
  hostile: Record<string, unknown> = {},
): Record<string, unknown> {
  const { entityId: _entity, createdSeq: _seq, wire, ...visible } = job;
  const sent: Record<string, unknown> = { ...visible, ...hostile, ...wire };
  for (const [key, value] of Object.entries(sent)) if (value === undefined) delete sent[key];
  return sent;
}

function routeOf(method: string, path: string): { route: Route | 'unknown'; jobId?: string } {
  if (path === '/oauth/token' && method === 'POST') return { route: 'token' };
  if (path === '/query/jobs' && method === 'GET') return { route: 'list' };
  const match = /^\/query\/jobs\/([^/]+)$/.exec(path);
  if (match) {
    const jobId = decodeURIComponent(match[1] as string);
    if (method === 'GET') return { route: 'get', jobId };
    if (method === 'DELETE') return { route: 'cancel', jobId };
  }
  return { route: 'unknown' };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
