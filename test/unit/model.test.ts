/**
 * Reading Zuora's responses: what the spec allows is accepted, what the janitor cannot identify
 * is counted and skipped, and a job field of the wrong type is kept as something no rule accepts.
 */
import { describe, expect, it } from 'vitest';
import {
  parseCancelResponse,
  parseJobEnvelope,
  parseJobPage,
  parseTokenResponse,
  printableStatus,
  ResponseShapeError,
  sameJobId,
} from '../../lib/zuora/model.ts';
import { Redactor } from '../../lib/zuora/redact.ts';

const ID = '2c92c0f8-5c7e-4b0e-9d3a-2b7c4e1d9a01';
const OTHER = '2c92c0f8-5c7e-4b0e-9d3a-2b7c4e1d9a02';
const THIRD = '2c92c0f8-5c7e-4b0e-9d3a-2b7c4e1d9a03';

describe('parseJobPage', () => {
  it('keeps the fields the janitor judges by as they were sent', () => {
    const sent = {
      id: ID,
      queryStatus: 'in_progress',
      updatedOn: '2026-03-14T10:00:00Z',
      createdBy: 'owner-1',
      query: 'select 1',
      sourceData: 'LIVE',
      remainingRetries: 2,
      outputFormat: 'JSON',
    };

    const page = parseJobPage({ data: [sent] });

    expect(page).toEqual({ jobs: [sent], unreadable: 0, problem: undefined, size: 1 });
  });

  it('turns fields of another type into values no rule accepts, and nulls into null', () => {
    const page = parseJobPage({
      data: [
        {
          id: ID,
          queryStatus: 'accepted',
          updatedOn: 1_700_000_000,
          createdBy: ['owner-1'],
          query: { text: 'select 1' },
          sourceData: true,
          remainingRetries: '2',
        },
        { id: OTHER, queryStatus: 'accepted', updatedOn: null, createdBy: { id: 'x' }, query: 7 },
      ],
    });

    expect(page.jobs).toEqual([
      {
        id: ID,
        queryStatus: 'accepted',
        updatedOn: '(a number)',
        createdBy: '(a list)',
        query: null,
        sourceData: '(a boolean)',
        remainingRetries: null,
      },
      {
        id: OTHER,
        queryStatus: 'accepted',
        updatedOn: null,
        createdBy: '(an object)',
        query: null,
      },
    ]);
  });

  it('counts entries without a UUID id or status text, and names the first problem', () => {
    const page = parseJobPage({
      data: [
        { id: 'not-a-uuid', queryStatus: 'accepted' },
        { id: `x${ID}`, queryStatus: 'accepted' },
        { id: `${ID}0`, queryStatus: 'accepted' },
        { id: ID, queryStatus: 7 },
        { id: ID },
        { id: OTHER, queryStatus: 'submitted' },
        'a string',
      ],
    });

    expect(page.jobs.map((job) => job.id)).toEqual([OTHER]);
    expect(page.unreadable).toBe(6);
    expect(page.size).toBe(7);
    expect(page.problem).toBe('id: must be a UUID');
  });

  it('keeps a job whose status Zuora does not document, with the status as sent', () => {
    const page = parseJobPage({
      data: [
        { id: ID, queryStatus: 'Accepted' },
        { id: OTHER, queryStatus: 'IN_PROGRESS' },
        { id: THIRD, queryStatus: 'queued' },
      ],
    });

    expect(page.jobs.map((job) => job.queryStatus)).toEqual(['Accepted', 'IN_PROGRESS', 'queued']);
    expect(page.unreadable).toBe(0);
    expect(parseJobEnvelope({ data: { id: ID, queryStatus: 'queued' } }, ID).queryStatus).toBe(
      'queued',
    );
  });

  it('reads no more than the limit, the first entries, and says how many the page held', () => {
    const page = parseJobPage(
      {
        data: [
          { id: ID, queryStatus: 'accepted' },
          { id: 'not-a-uuid', queryStatus: 'accepted' },
          { id: OTHER, queryStatus: 'accepted' },
          { id: 'not-a-uuid-either' },
        ],
      },
      { limit: 2 },
    );

    expect(page.jobs.map((job) => job.id)).toEqual([ID]);
    expect(page.unreadable).toBe(1);
    expect(page.size).toBe(4);
  });

  it('refuses a body that is not a list envelope, in one line', () => {
    expect(() => parseJobPage({ data: {} })).toThrow(ResponseShapeError);
    expect(() => parseJobPage({ jobs: [] })).toThrow(/^data: .+$/);
    expect(() => parseJobPage(null)).toThrow(ResponseShapeError);
    expect(new ResponseShapeError('x').name).toBe('ResponseShapeError');
  });
});

describe('parseJobEnvelope', () => {
  it('returns the job asked for, whatever the case of its id', () => {
    const job = parseJobEnvelope({ data: { id: ID.toUpperCase(), queryStatus: 'completed' } }, ID);

    expect(job).toEqual({ id: ID.toUpperCase(), queryStatus: 'completed' });
  });

  it('refuses another job than the one asked for', () => {
    expect(() => parseJobEnvelope({ data: { id: OTHER, queryStatus: 'accepted' } }, ID)).toThrow(
      new ResponseShapeError('data.id is not the id that was asked for'),
    );
  });

  it('reads any job when no id is given, and refuses one it cannot identify', () => {
    expect(parseJobEnvelope({ data: { id: OTHER, queryStatus: 'failed' } }).id).toBe(OTHER);
    expect(() => parseJobEnvelope({ data: { id: OTHER } })).toThrow(/^data\.queryStatus: /);
  });
});

describe('parseCancelResponse', () => {
  it('accepts the full job, a minimal one, and data without an id', () => {
    expect(() =>
      parseCancelResponse({ data: { id: ID, queryStatus: 'cancelled', query: 'x' } }, ID),
    ).not.toThrow();
    expect(() => parseCancelResponse({ data: { id: ID.toUpperCase() } }, ID)).not.toThrow();
    expect(() => parseCancelResponse({ data: {} }, ID)).not.toThrow();
    expect(() => parseCancelResponse({ data: { id: 42 } }, ID)).not.toThrow();
    expect(() => parseCancelResponse({ data: { id: OTHER } })).not.toThrow();
  });

  it('refuses an answer about another job, or no job at all', () => {
    expect(() => parseCancelResponse({ data: { id: OTHER } }, ID)).toThrow(
      new ResponseShapeError('data.id is not the id that was cancelled'),
    );
    expect(() => parseCancelResponse({ data: null }, ID)).toThrow(ResponseShapeError);
    expect(() => parseCancelResponse({}, ID)).toThrow(ResponseShapeError);
  });

  it('refuses an answer that says the cancel did not happen', () => {
    expect(() => parseCancelResponse({ data: { id: ID, queryStatus: 'in_progress' } }, ID)).toThrow(
      new ResponseShapeError('data.queryStatus is not "cancelled"'),
    );
    for (const queryStatus of ['completed', 'CANCELLED', 'cancelled ', null, 3]) {
      expect(() => parseCancelResponse({ data: { id: ID, queryStatus } }, ID)).toThrow(
        ResponseShapeError,
      );
    }
    expect(() => parseCancelResponse({ success: false, data: {} }, ID)).toThrow(
      new ResponseShapeError('success is false'),
    );
    expect(() => parseCancelResponse({ success: true, data: {} }, ID)).not.toThrow();
  });
});

describe('parseTokenResponse', () => {
  it('accepts a token with a positive lifetime, with or without a type', () => {
    expect(parseTokenResponse({ access_token: 't', expires_in: 3599, token_type: null })).toEqual({
      access_token: 't',
      expires_in: 3599,
      token_type: null,
    });
    expect(parseTokenResponse({ access_token: 't', expires_in: 1 }).access_token).toBe('t');
  });

  it.each([
    [{ access_token: '', expires_in: 3599 }, /^access_token: /],
    [{ access_token: 't', expires_in: 0 }, /^expires_in: /],
    [{ access_token: 't', expires_in: '3599' }, /^expires_in: /],
    [{ access_token: 't', expires_in: 3599, token_type: 7 }, /^token_type: /],
  ])('refuses %j', (body, message) => {
    expect(() => parseTokenResponse(body)).toThrow(message);
  });
});

describe('sameJobId', () => {
  it('compares ids case-insensitively', () => {
    expect(sameJobId(ID, ID.toUpperCase())).toBe(true);
    expect(sameJobId(ID, OTHER)).toBe(false);
  });
});

describe('printableStatus', () => {
  const scrub = new Redactor().scrub;

  it('keeps a documented status and text Zuora does not document as they read', () => {
    expect(printableStatus('in_progress', scrub)).toBe('in_progress');
    expect(printableStatus('Accepted', scrub)).toBe('Accepted');
  });

  it('bounds and scrubs other text, and redacts the secrets the run knows', () => {
    const redactor = new Redactor();
    redactor.addSecret('tok-0123456789abcdef');

    expect(printableStatus(`queued\n${'x'.repeat(100)}`, redactor.scrub)).toBe(
      `queued ${'x'.repeat(32)}…`,
    );
    expect(printableStatus('queued tok-0123456789abcdef', redactor.scrub)).toBe(
      'queued [redacted]',
    );
    expect(printableStatus('select Name from Account', redactor.scrub)).toBe(
      '[message withheld: it may quote query text]',
    );
  });

  it('never prints text as a documented status it only resembles once scrubbed', () => {
    expect(printableStatus('accepted\u200b', scrub)).toBe('accepted (with characters removed)');
    expect(printableStatus(' in_progress\n', scrub)).toBe('in_progress (with characters removed)');
    expect(printableStatus('', scrub)).toBe('(blank)');
    expect(printableStatus('\u202e', scrub)).toBe('(blank)');
  });
});
