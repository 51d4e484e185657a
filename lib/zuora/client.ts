/**
 * The Zuora Data Query calls the janitor needs: list jobs by status, read one, cancel one.
 * Authentication is handled here: a cached token, one token refresh when Zuora answers 401,
 * and one credential reload (secret rotation) when Zuora rejects the client credentials.
 */
import type { Log } from '../log.ts';
import type { TokenCache } from './auth.ts';
import { ZuoraError, ZuoraHttpError } from './errors.ts';
import { type HttpRequest, HttpTransport, type HttpTransportOptions } from './http.ts';
import {
  type CredentialSource,
  JOB_ID_PATTERN,
  jobEnvelopeSchema,
  jobListSchema,
  type QueryJob,
  type QueryStatus,
  type ZuoraCredentials,
} from './model.ts';
import { Redactor } from './redact.ts';

/** Page size used for listing: the spec's documented maximum. */
export const DEFAULT_PAGE_SIZE = 100;

/** Options of {@link ZuoraClient}. */
export interface ZuoraClientOptions
  extends Omit<HttpTransportOptions, 'baseUrl' | 'redact' | 'log'> {
  credentials: CredentialSource;
  tokens: TokenCache;
  log?: Log | undefined;
}

/** One page of `GET /query/jobs`. */
export interface JobPage {
  jobs: QueryJob[];
  /** The page came back full: older jobs may exist that this page does not show. */
  full: boolean;
}

/** Request counters of one client, for reports and the benchmark. */
export interface ClientStats {
  requests: number;
  retries: number;
}

/**
 * A Zuora Data Query client for one run (one deadline, one track id, one entity). Create a new
 * one per run; share the {@link TokenCache} and credential source across runs.
 */
export class ZuoraClient {
  readonly #options: ZuoraClientOptions;
  readonly #redactor = new Redactor();
  #session: { credentials: ZuoraCredentials; transport: HttpTransport } | undefined;
  #stats: ClientStats = { requests: 0, retries: 0 };
  #reloaded = false;

  constructor(options: ZuoraClientOptions) {
    this.#options = options;
  }

  /** Requests sent so far (retries included). */
  get stats(): ClientStats {
    const live = this.#session?.transport.stats ?? { requests: 0, retries: 0 };
    return {
      requests: this.#stats.requests + live.requests,
      retries: this.#stats.retries + live.retries,
    };
  }

  /** Milliseconds left before the run's deadline. */
  remainingMs(): number {
    return this.#options.deadline - (this.#options.now ?? Date.now)();
  }

  /** Lists jobs in `status`, newest first, one page of at most `pageSize`. */
  async listJobs(status: QueryStatus, pageSize = DEFAULT_PAGE_SIZE): Promise<JobPage> {
    const response = await this.#call({
      method: 'GET',
      path: '/query/jobs',
      query: { queryStatus: status, pageSize },
      parse: (body) => jobListSchema().parse(body).data,
    });
    return { jobs: response, full: response.length >= pageSize };
  }

  /** Reads one job. A 404 throws a {@link ZuoraHttpError} of kind `not-found`. */
  async getJob(id: string): Promise<QueryJob> {
    return this.#call({
      method: 'GET',
      path: jobPath(id),
      parse: (body) => jobEnvelopeSchema().parse(body).data,
    });
  }

  /**
   * Cancels one job. A job that already left `accepted`/`in_progress` throws a
   * {@link ZuoraHttpError} of kind `already-finished`; a missing one, kind `not-found`.
   */
  async cancelJob(id: string): Promise<QueryJob> {
    return this.#call({
      method: 'DELETE',
      path: jobPath(id),
      parse: (body) => jobEnvelopeSchema().parse(body).data,
    });
  }

  async #call<T>(request: Omit<HttpRequest<T>, 'headers'>): Promise<T> {
    const session = await this.#open();
    const token = await this.#token(session);
    try {
      return (await session.transport.send({ ...request, headers: bearer(token) })).data;
    } catch (error) {
      if (!(error instanceof ZuoraHttpError) || error.kind !== 'unauthorized') throw error;
      // The token was revoked or expired early: mint a new one and repeat the call once.
      this.#options.log?.info('Zuora rejected the access token; refreshing it once', {
        method: request.method,
        path: request.path,
        requestId: error.requestId,
      });
      this.#options.tokens.invalidate(token);
      const fresh = await this.#token(session);
      return (await session.transport.send({ ...request, headers: bearer(fresh) })).data;
    }
  }

  async #token(session: { credentials: ZuoraCredentials; transport: HttpTransport }) {
    try {
      const token = await this.#options.tokens.get(session.transport, session.credentials);
      this.#redactor.add(token);
      return token;
    } catch (error) {
      const rejected =
        error instanceof ZuoraHttpError && (error.status === 401 || error.status === 400);
      if (!rejected || this.#reloaded) throw error;
      // The client credentials were rejected: they may have been rotated since we cached them.
      this.#options.log?.warn('Zuora rejected the client credentials; reloading the secret', {
        status: error.status,
        requestId: error.requestId,
      });
      const reloaded = await this.#reload();
      const token = await this.#options.tokens.get(reloaded.transport, reloaded.credentials);
      this.#redactor.add(token);
      return token;
    }
  }

  async #open() {
    if (this.#session) return this.#session;
    const credentials = await this.#options.credentials.get();
    this.#session = this.#connect(credentials);
    return this.#session;
  }

  async #reload() {
    this.#reloaded = true;
    const credentials = await this.#options.credentials.refresh();
    const previous = this.#session;
    if (previous) {
      this.#stats.requests += previous.transport.stats.requests;
      this.#stats.retries += previous.transport.stats.retries;
    }
    this.#options.tokens.clear();
    this.#session = this.#connect(credentials);
    return this.#session;
  }

  #connect(credentials: ZuoraCredentials) {
    this.#redactor.add(credentials.clientSecret);
    const transport = new HttpTransport({
      ...this.#options,
      baseUrl: credentials.baseUrl,
      redact: this.#redactor.redact,
    });
    return { credentials, transport };
  }
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function jobPath(id: string): string {
  // Ids are validated before they get here; this check keeps path tricks out regardless.
  if (!JOB_ID_PATTERN.test(id)) throw new ZuoraError('Query job id must be a UUID');
  return `/query/jobs/${id}`;
}
