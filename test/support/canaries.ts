/**
 * Canary secrets whose characters change under every encoding they travel in (`/`, `+`, `=`,
 * `%`, a space, non-ASCII), and every form in which one could leak: raw, percent-encoded (either
 * hex case, or twice), form-encoded, JSON-escaped, base64 (also inside a longer text), hex and
 * HTTP Basic (`id:secret`). And the same for what a job's own fields may carry: a token, the
 * secret, query text.
 */
import type { ZuoraEmulator } from '../emulator/zuora.ts';

/** A client secret that changes under percent, form, JSON and base64 encoding. */
export const SECRET_CANARY = 'Cy/x+9=%z k\u00e9Y\u2603-CANARYSECRET';
/** A prefix for minted tokens (tokens are otherwise hex). */
export const TOKEN_CANARY = 'CANARYTOKEN+/=';

/** Every form of `value` a server could echo or a library could print. */
export function encodedForms(value: string, clientId?: string): string[] {
  const percent = encodeURIComponent(value);
  const forms = [
    value,
    percent,
    percent.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(value)
      .slice(1, -1)
      .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    Buffer.from(value).toString('hex'),
    encodeURIComponent(percent),
    // The middle of base64 of a longer text holding the value, one and two bytes in.
    ...[1, 2].map((offset) =>
      Buffer.from(`${'x'.repeat(offset)}${value}`)
        .toString('base64')
        .slice(4, -4),
    ),
  ];
  if (clientId !== undefined) {
    forms.push(Buffer.from(`${clientId}:${value}`).toString('base64'));
    forms.push(
      Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(value)}`).toString(
        'base64',
      ),
    );
  }
  return [...new Set(forms)];
}

/** The forms of each value found in `text` (empty when nothing leaked). */
export function leakedForms(text: string, values: readonly string[], clientId?: string): string[] {
  return values.flatMap((value) =>
    encodedForms(value, clientId).filter((form) => text.includes(form)),
  );
}

/**
 * A job's query that is not recognisably SQL, changes under encoding, and is shorter than the
 * redactor's quote window: only the check against the job's own query keeps it out of what the
 * job's other fields show.
 */
export const QUERY_CANARY = 'ssn 078-05-1120 /+=% \u00e9\u2603';
/** Query text where Zuora should have sent an owner id or a date. */
export const SQL_CANARY = 'select ssn, name from contact where';

/** The part of a reshape that the emulator's faults need: a job or a list of them. */
type JobPayload = { data: Record<string, unknown> | Array<Record<string, unknown>> };

/**
 * Makes Zuora send the newest access token it issued as the owner (`createdBy`) of `jobId`, in
 * every list and every read of it: the token only exists once the run has started.
 */
export function tokenAsOwner(zuora: ZuoraEmulator, jobId: string): void {
  const reshape = (payload: unknown) => {
    const { data } = payload as JobPayload;
    const owned = (job: Record<string, unknown>) =>
      job.id === jobId ? { ...job, createdBy: zuora.issuedTokens().at(-1) } : job;
    return { data: Array.isArray(data) ? data.map(owned) : owned(data) };
  };
  zuora.inject({ kind: 'reshape', reshape }, { route: 'list', times: 999 });
  zuora.inject({ kind: 'reshape', reshape }, { route: 'get', jobId, times: 999 });
}
