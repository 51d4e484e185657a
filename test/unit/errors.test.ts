/**
 * The Zuora client's errors as operators and callers read them: the message names the call,
 * status, code and request id; the kind says what happened without string matching; a request
 * id is copied only when it looks like one; error bodies are read from every shape Zuora uses.
 */
import { describe, expect, it } from 'vitest';
import { describeError } from '../../lib/janitor/run.ts';
import { CredentialsError } from '../../lib/zuora/credentials.ts';
import {
  DeadlineExceededError,
  InvalidBaseUrlError,
  parseErrorBody,
  safeRequestId,
  ZuoraError,
  ZuoraHttpError,
  ZuoraNetworkError,
  ZuoraResponseError,
} from '../../lib/zuora/errors.ts';

const target = { method: 'DELETE', path: '/query/jobs/j-1' };

describe('ZuoraHttpError', () => {
  it('says the call, the status, the code, the message and the request id', () => {
    const error = new ZuoraHttpError({
      ...target,
      status: 400,
      code: 1003,
      zuoraMessage: 'not cancellable',
      requestId: 'req-1',
      attempts: 2,
    });

    expect(error.message).toBe(
      'DELETE /query/jobs/j-1 failed with HTTP 400 code 1003: not cancellable (Zuora-Request-Id req-1)',
    );
    expect(error).toBeInstanceOf(ZuoraError);
    expect(error.name).toBe('ZuoraHttpError');
    expect(error.attempts).toBe(2);
  });

  it('leaves out what it does not know', () => {
    const error = new ZuoraHttpError({ ...target, status: 503, attempts: 1 });

    expect(error.message).toBe('DELETE /query/jobs/j-1 failed with HTTP 503');
    expect(new ZuoraHttpError({ ...target, status: 400, code: 0, attempts: 1 }).message).toBe(
      'DELETE /query/jobs/j-1 failed with HTTP 400 code 0',
    );
  });

  it.each([
    [400, 1003, 'already-finished'],
    [400, '1003', 'already-finished'],
    [400, 1001, 'client'],
    [409, 1003, 'client'],
    [404, undefined, 'not-found'],
    [403, 1009, 'forbidden'],
    [401, undefined, 'unauthorized'],
    [429, undefined, 'rate-limited'],
    [500, undefined, 'server'],
    [504, undefined, 'server'],
    [499, undefined, 'client'],
    [418, undefined, 'client'],
  ] as const)('HTTP %i with code %s is %s', (status, code, kind) => {
    expect(new ZuoraHttpError({ ...target, status, code, attempts: 1 }).kind).toBe(kind);
  });

  it('counts earlier attempts and keeps the rest, cause included', () => {
    const cause = new Error('first');
    const error = new ZuoraHttpError(
      { ...target, status: 400, code: 1003, requestId: 'r-2', attempts: 1 },
      { cause },
    ).after(2);

    expect(error).toMatchObject({ attempts: 3, kind: 'already-finished', requestId: 'r-2' });
    expect(error.cause).toBe(cause);
  });
});

describe('the other errors', () => {
  it('ZuoraNetworkError says whether it timed out', () => {
    const timedOut = new ZuoraNetworkError({ ...target, attempts: 5, timedOut: true });
    const refused = new ZuoraNetworkError({ ...target, attempts: 1, timedOut: false });

    expect(timedOut.message).toBe('DELETE /query/jobs/j-1 timed out after 5 attempt(s)');
    expect(refused.message).toBe('DELETE /query/jobs/j-1 could not reach Zuora after 1 attempt(s)');
    expect(refused.name).toBe('ZuoraNetworkError');
  });

  it('ZuoraResponseError names the problem and the request id', () => {
    const error = new ZuoraResponseError({
      ...target,
      status: 200,
      requestId: 'r-3',
      problem: 'not JSON',
    });

    expect(error.message).toBe(
      'DELETE /query/jobs/j-1 returned an invalid response: not JSON (Zuora-Request-Id r-3)',
    );
    expect(new ZuoraResponseError({ ...target, status: 200, problem: 'not JSON' }).message).toBe(
      'DELETE /query/jobs/j-1 returned an invalid response: not JSON',
    );
  });

  it('DeadlineExceededError says why, and what it was waiting out', () => {
    const waiting = new ZuoraHttpError({ ...target, status: 503, attempts: 2 });
    const deadline = new DeadlineExceededError(target, { cause: waiting });
    const interrupted = new DeadlineExceededError({ ...target, interrupted: true });

    expect(deadline.message).toBe(
      "DELETE /query/jobs/j-1 not sent: the run's deadline is too close (after: DELETE /query/jobs/j-1 failed with HTTP 503)",
    );
    expect(deadline.interrupted).toBe(false);
    expect(deadline.name).toBe('DeadlineExceededError');
    expect(interrupted.message).toBe('DELETE /query/jobs/j-1 not sent: the run was interrupted');
    expect(interrupted.interrupted).toBe(true);
    expect(new DeadlineExceededError(target, { cause: new Error('x') }).message).not.toMatch(
      /after/,
    );
  });

  it('InvalidBaseUrlError is a ZuoraError with its own name', () => {
    const error = new InvalidBaseUrlError('nope');
    expect(error).toBeInstanceOf(ZuoraError);
    expect(error.name).toBe('InvalidBaseUrlError');
    expect(new ZuoraError('x').name).toBe('ZuoraError');
  });
});

describe('safeRequestId', () => {
  it.each(['a', '7f3c-11ee-b962-0242ac120002', 'req_1.2:3', 'A'.repeat(64)])('keeps %s', (id) => {
    expect(safeRequestId(id)).toBe(id);
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['empty', ''],
    ['too long', 'A'.repeat(65)],
    ['a leading dash', '-abc'],
    ['a space', 'req 1'],
    ['a header echo', 'Bearer abc/def+ghi='],
    ['a prefix', '<script>req-1'],
    ['a suffix', 'req-1\r\nX-Injected: 1'],
  ])('refuses %s', (_what, id) => {
    expect(safeRequestId(id)).toBeUndefined();
  });
});

describe('parseErrorBody', () => {
  it.each([
    ['the /query shape', { code: 1003, message: 'done' }, { code: 1003, message: 'done' }],
    [
      'the v1 shape',
      { success: false, reasons: [{ code: 50000040, message: 'bad' }] },
      { code: 50000040, message: 'bad' },
    ],
    [
      'the CRUD shape',
      { Errors: [{ Code: 'INVALID', Message: 'no' }] },
      { code: 'INVALID', message: 'no' },
    ],
    [
      'the fault shape',
      { FaultCode: 'E1', FaultMessage: 'fault' },
      { code: 'E1', message: 'fault' },
    ],
    [
      'the OAuth shape',
      { error: 'invalid_client', error_description: 'bad client' },
      { code: 'invalid_client', message: 'bad client' },
    ],
    ['an empty reasons list', { reasons: [], message: 'top' }, { message: 'top' }],
    ['a reasons list of strings', { reasons: ['x'], code: 7 }, { code: 7 }],
    ['a reasons list holding null', { reasons: [null], code: 8 }, { code: 8 }],
    ['fields of other types', { code: { nested: 1 }, message: 42 }, {}],
  ])('reads %s', (_shape, body, expected) => {
    expect(parseErrorBody(JSON.stringify(body))).toEqual(expected);
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"text"'],
  ])('reads nothing from JSON %s', (_what, text) => {
    expect(parseErrorBody(text)).toEqual({});
  });

  it('reads the text of a non-JSON body, markup and runs of white space removed', () => {
    expect(parseErrorBody('<html><body><h1>502  Bad\n\nGateway</h1></body></html>')).toEqual({
      message: '502 Bad Gateway',
    });
    expect(parseErrorBody('<b>over</b><i>loaded</i>')).toEqual({ message: 'over loaded' });
    expect(parseErrorBody('<p></p>   ')).toEqual({});
  });
});

describe('describeError', () => {
  it('keeps the text of our own errors and nothing of anyone else’s', () => {
    expect(describeError(new ZuoraError('Query job id must be a UUID'))).toBe(
      'Query job id must be a UUID',
    );
    expect(describeError(new CredentialsError('Secret janitor is not valid JSON'))).toBe(
      'Secret janitor is not valid JSON',
    );
    expect(describeError(new Error('token=hunter2'))).toBe('unexpected error');
    expect(describeError('hunter2')).toBe('unexpected error');
  });
});
