/**
 * Remembers the secret values of a run (client secret, access tokens) and scrubs them from any
 * text before it can reach an error, a log line or a report. This is defence in depth: the
 * client never puts them there on purpose, but a server may echo what it was sent.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Registers values to scrub; empty and very short values are ignored (they would over-match). */
  add(...values: Array<string | undefined>): void {
    for (const value of values) if (value && value.length >= 6) this.#secrets.add(value);
  }

  /** Returns `text` with every registered secret replaced by `[redacted]`. */
  redact = (text: string): string => {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join('[redacted]');
    return result;
  };
}
