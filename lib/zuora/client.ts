/**
 * The Zuora Data Query calls the janitor needs: list jobs by status, read one, cancel one.
 * Authentication is handled here: a cached token, one token refresh when Zuora answers 401,
 * and one credential reload (secret rotation) when Zuora rejects the client credentials.
 */
import type { Log } from '../log.ts';
import type { TokenCache } from './auth.ts';
import type { CredentialSource, ZuoraCredentials } from './credentials.ts';
import { ZuoraError, ZuoraHttpError } from './errors.ts';
import {
  type HttpRequest,
  HttpTransport,
  type HttpTransportOptions,
  type RequestStats,
} from './http.ts';
import {
  JOB_ID_PATTERN,
  jobEnvelopeSchema,
  jobListSchema,
  type QueryJob,
  type QueryStatus,
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

/**
 * A Zuora Data Query client for one run (one deadline, one track id, one entity). Create a new
 * one per run; share the {@link TokenCache} and credential source across runs.
 */
export class ZuoraClient {
  readonly #options: ZuoraClientOptions;
  readonly #redactor = new Redactor();
  /** Every transport this client used (a credential reload starts a new one), for stats. */
  readonly #transports: HttpTransport[] = [];
  #session: Promise<Session> | undefined;
  /** The one credential reload this client may do, shared by every caller that needs it. */
  #reload: Promise<Session> | undefined;

  constructor(options: ZuoraClientOptions) {
    this.#options = options;
  }

  /** Requests sent so far (retries included). */
  get stats(): RequestStats {
    let requests = 0;
    let retries = 0;
    for (const transport of this.#transports) {
      requests += transport.stats.requests;
      retries += transport.stats.retries;
    }
    return { requests, retries };
  }

  /** Lists jobs in `status`, newest first, one page of at most `pageSize`. */
  async listJobs(status: QueryStatus, pageSize = DEFAULT_PAGE_SIZE): Promise<JobPage> {
    const jobs = await this.#call({
      method: 'GET',
      path: '/query/jobs',
      query: { queryStatus: status, pageSize },
      parse: (body) => jobListSchema().parse(body).data,
    });
    return { jobs, full: jobs.length >= pageSize };
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
    const { session, token } = await this.#authorize();
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
      const fresh = await this.#authorize();
      return (await fresh.session.transport.send({ ...request, headers: bearer(fresh.token) }))
        .data;
    }
  }

  /** A session and a token for it; reloads the credentials once if Zuora refuses them. */
  async #authorize(): Promise<{ session: Session; token: string }> {
    this.#session ??= this.#options.credentials
      .get()
      .then((credentials) => this.#connect(credentials));
    const session = await this.#session;
    try {
      return { session, token: await this.#mint(session) };
    } catch (error) {
      const refused =
        error instanceof ZuoraHttpError && (error.status === 401 || error.status === 400);
      if (!refused || (this.#reload && (await this.#reload) === session)) throw error;
      // The client credentials were refused: they may have been rotated since we cached them.
      this.#reload ??= this.#reloadCredentials(error);
      const reloaded = await this.#reload;
      return { session: reloaded, token: await this.#mint(reloaded) };
    }
  }

  async #reloadCredentials(cause: ZuoraHttpError): Promise<Session> {
    this.#options.log?.warn('Zuora refused the client credentials; reloading the secret', {
      status: cause.status,
      requestId: cause.requestId,
    });
    const credentials = await this.#options.credentials.refresh();
    this.#options.tokens.clear();
    const session = this.#connect(credentials);
    this.#session = Promise.resolve(session);
    return session;
  }

  async #mint(session: Session): Promise<string> {
    const token = await this.#options.tokens.get(session.transport, session.credentials);
    this.#redactor.add(token);
    return token;
  }

  #connect(credentials: ZuoraCredentials): Session {
    this.#redactor.add(credentials.clientSecret);
    const transport = new HttpTransport({
      ...this.#options,
      baseUrl: credentials.baseUrl,
      redact: this.#redactor.redact,
    });
    this.#transports.push(transport);
    return { credentials, transport };
  }
}

interface Session {
  credentials: ZuoraCredentials;
  transport: HttpTransport;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function jobPath(id: string): string {
  // Ids are validated before they get here; this check keeps path tricks out regardless.
  if (!JOB_ID_PATTERN.test(id)) throw new ZuoraError('Query job id must be a UUID');
  return `/query/jobs/${id}`;
}
