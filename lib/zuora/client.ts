/**
 * The Zuora Data Query calls the janitor needs: list jobs by status, read one, cancel one, in
 * any entity of the tenant. One client serves one run, so what must happen at most once per run
 * happens once for all its entities and concurrent calls: one token refresh after a 401, one
 * credential reload (secret rotation) after Zuora refuses the client credentials, one pause of
 * all traffic after a 429.
 */
import type { Log } from '../log.ts';
import type { TokenCache } from './auth.ts';
import type { CredentialSource, ZuoraCredentials } from './credentials.ts';
import { ZuoraError, ZuoraHttpError } from './errors.ts';
import {
  type HttpRequest,
  HttpTransport,
  type HttpTransportOptions,
  RequestGate,
  type RequestStats,
} from './http.ts';
import {
  JOB_ID_PATTERN,
  parseCancelResponse,
  parseJobEnvelope,
  parseJobPage,
  printableStatus,
  type QueryJob,
  type QueryStatus,
} from './model.ts';
import { Redactor } from './redact.ts';

/** Page size used for listing: the spec's documented maximum. */
export const DEFAULT_PAGE_SIZE = 100;

/** Options of {@link ZuoraClient}. */
export interface ZuoraClientOptions
  extends Omit<HttpTransportOptions, 'baseUrl' | 'scrub' | 'gate' | 'log'> {
  credentials: CredentialSource;
  tokens: TokenCache;
  log?: Log | undefined;
  /**
   * The run's redactor, when the run scrubs more than this client's errors (the jobs it reports):
   * the client teaches it the secret, the tokens and every query it reads.
   */
  redactor?: Redactor | undefined;
}

/** One page of `GET /query/jobs`. */
export interface JobPage {
  jobs: QueryJob[];
  /** The page came back full: older jobs may exist that this page does not show. */
  full: boolean;
  /** Entries the janitor could not read as jobs (no UUID id, or no status text). */
  unreadable: number;
}

/** Which entity a call is for (`Zuora-Entity-Ids`); undefined is the default entity. */
export type EntityId = string | undefined;

/**
 * A Zuora Data Query client for one run (one deadline, one track id). Create a new one per run;
 * share the {@link TokenCache} and credential source across runs.
 */
export class ZuoraClient {
  readonly #options: ZuoraClientOptions;
  readonly #redactor: Redactor;
  readonly #gate = new RequestGate();
  /** Every transport this client used (a credential reload starts a new one), for stats. */
  readonly #transports: HttpTransport[] = [];
  #session: Promise<Session> | undefined;
  /** The one credential reload this run may do, shared by every caller that needs it. */
  #reload: Promise<Session> | undefined;
  /** The one token refresh after a 401 this run may do, shared likewise. */
  #tokenRefresh: { rejected: string; fresh: Promise<Authorized> } | undefined;
  /** Whether the run was told already of a page longer than asked for. */
  #toldOversized = false;

  constructor(options: ZuoraClientOptions) {
    this.#options = options;
    this.#redactor = options.redactor ?? new Redactor();
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

  /**
   * Lists jobs in `status`, newest first, one page of at most `pageSize`. A page with more
   * entries than that (a server that ignores `pageSize`) is read up to `pageSize`, as a compliant
   * server would have sent it, and is full: older jobs may be hidden behind it.
   */
  async listJobs(
    status: QueryStatus,
    options: { entityId?: EntityId; pageSize?: number } = {},
  ): Promise<JobPage> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const page = await this.#call(options.entityId, {
      method: 'GET',
      path: '/query/jobs',
      query: { queryStatus: status, pageSize },
      parse: (body) => parseJobPage(body, { limit: pageSize }),
    });
    if (page.size > pageSize) this.#oversized(status, options.entityId, pageSize, page.size);
    for (const job of page.jobs) this.#redactor.addQuery(job.query);
    const jobs = page.jobs.map((job) => this.#printable(job));
    return { jobs, full: page.size >= pageSize, unreadable: page.unreadable };
  }

  /** Says once per run that Zuora sent more entries than asked for: a server would do it again. */
  #oversized(status: QueryStatus, entityId: EntityId, pageSize: number, size: number): void {
    if (this.#toldOversized) return;
    this.#toldOversized = true;
    this.#options.log?.warn(
      'Zuora answered more list entries than asked for; only the first were read',
      { status, entityId, pageSize, entries: size },
    );
  }

  /** Reads one job. A 404 throws a {@link ZuoraHttpError} of kind `not-found`. */
  async getJob(id: string, entityId?: EntityId): Promise<QueryJob> {
    const job = await this.#call(entityId, {
      method: 'GET',
      path: jobPath(id),
      parse: (body) => parseJobEnvelope(body, id),
    });
    this.#redactor.addQuery(job.query);
    return this.#printable(job);
  }

  /**
   * The job with a status Zuora does not document scrubbed and bounded, once the queries it may
   * quote are known: the status reaches reports, logs and events as it is returned here.
   */
  #printable(job: QueryJob): QueryJob {
    const queryStatus = printableStatus(job.queryStatus, this.#redactor.scrub);
    return queryStatus === job.queryStatus ? job : { ...job, queryStatus };
  }

  /**
   * Cancels one job. A job that already left `accepted`/`in_progress` throws a
   * {@link ZuoraHttpError} of kind `already-finished`; a missing one, kind `not-found`.
   */
  async cancelJob(id: string, entityId?: EntityId): Promise<void> {
    await this.#call(entityId, {
      method: 'DELETE',
      path: jobPath(id),
      parse: (body) => parseCancelResponse(body, id),
    });
  }

  async #call<T>(entityId: EntityId, request: Omit<HttpRequest<T>, 'headers'>): Promise<T> {
    const entity: Record<string, string> = entityId ? { 'zuora-entity-ids': entityId } : {};
    const send = ({ session, token }: Authorized) =>
      session.transport.send({ ...request, headers: { ...entity, ...bearer(token) } });
    const authorized = await this.#authorize();
    try {
      return (await send(authorized)).data;
    } catch (error) {
      if (!(error instanceof ZuoraHttpError) || error.kind !== 'unauthorized') throw error;
      const fresh = await this.#refreshToken(authorized.token, error, request);
      if (fresh === undefined) throw error;
      try {
        return (await send(fresh)).data;
      } catch (retried) {
        // The attempts before the 401 count: one of them may have taken effect (a cancel whose
        // answer was lost), which is how a later "already finished" must be read.
        // (The 401 attempt itself was refused, so it does not count.)
        throw retried instanceof ZuoraHttpError ? retried.after(error.attempts - 1) : retried;
      }
    }
  }

  /**
   * After a 401 with `rejected`: the run's one token refresh, shared by every caller. Returns the
   * fresh token, or undefined when the refresh was spent already and its token was rejected too.
   */
  async #refreshToken(
    rejected: string,
    error: ZuoraHttpError,
    request: { method: string; path: string },
  ): Promise<Authorized | undefined> {
    if (!this.#tokenRefresh) {
      this.#options.log?.info('Zuora rejected the access token; refreshing it once', {
        method: request.method,
        path: request.path,
        requestId: error.requestId,
      });
      this.#options.tokens.invalidate(rejected);
      this.#tokenRefresh = { rejected, fresh: this.#authorize() };
    }
    const { rejected: replaced, fresh } = this.#tokenRefresh;
    const authorized = await fresh;
    // Only a caller rejected with the token the refresh replaced may use the fresh one: a 401
    // with the fresh token itself means the refresh is spent.
    return rejected === replaced && authorized.token !== rejected ? authorized : undefined;
  }

  /** A session and a token for it; reloads the credentials once if Zuora refuses them. */
  async #authorize(): Promise<Authorized> {
    this.#session ??= this.#options.credentials
      .get(this.#options.deadline)
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
    const current = (await this.#session)?.credentials;
    const credentials = await this.#options.credentials.refresh(this.#options.deadline);
    // Credentials that did not change (given directly, or a secret not yet rotated) are refused.
    if (
      credentials.clientId === current?.clientId &&
      credentials.clientSecret === current?.clientSecret &&
      credentials.baseUrl === current?.baseUrl
    ) {
      throw cause;
    }
    this.#options.log?.warn('Zuora refused the cached client credentials; using reloaded ones', {
      status: cause.status,
      requestId: cause.requestId,
    });
    this.#options.tokens.clear();
    const session = this.#connect(credentials);
    this.#session = Promise.resolve(session);
    return session;
  }

  async #mint(session: Session): Promise<string> {
    const token = await this.#options.tokens.get(session.transport, session.credentials);
    this.#redactor.addSecret(token);
    return token;
  }

  #connect(credentials: ZuoraCredentials): Session {
    this.#redactor.addSecret(credentials.clientSecret, credentials.clientId);
    const transport = new HttpTransport({
      ...this.#options,
      baseUrl: credentials.baseUrl,
      gate: this.#gate,
      scrub: this.#redactor.scrub,
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

interface Authorized {
  session: Session;
  token: string;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

function jobPath(id: string): string {
  // Ids are validated before they get here; this check keeps path tricks out regardless.
  if (!JOB_ID_PATTERN.test(id)) throw new ZuoraError('Query job id must be a UUID');
  return `/query/jobs/${id}`;
}
