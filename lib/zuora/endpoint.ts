/** Where requests go and how a run identifies itself: Zuora's rules for both. */
import { baseUrlProblem } from '../contract/base-url.ts';
import { InvalidBaseUrlError, ZuoraError } from './errors.ts';

/**
 * Validates a Zuora base URL: https (any host, so new data centres work), or plain http only
 * to a loopback host for local runs and tests. Throws {@link InvalidBaseUrlError}.
 */
export function parseBaseUrl(value: string): URL {
  const problem = baseUrlProblem(value);
  if (problem) throw new InvalidBaseUrlError(`Zuora base URL ${problem}`);
  return new URL(value);
}

const TRACK_ID = /^[\x21-\x7e]{1,64}$/;

/** Checks Zuora's rules for `Zuora-Track-Id`: 1–64 printable US-ASCII, none of `:;"'`. */
export function assertTrackId(value: string): void {
  if (!TRACK_ID.test(value) || /[:;"']/.test(value)) {
    throw new ZuoraError(
      'Zuora-Track-Id must be 1-64 printable US-ASCII characters without : ; " or \'',
    );
  }
}
