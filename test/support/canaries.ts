/**
 * Canary secrets whose characters change under every encoding they travel in (`/`, `+`, `=`,
 * `%`, a space, non-ASCII), and every form in which one could leak: raw, percent-encoded (either
 * hex case), form-encoded, JSON-escaped, base64 and HTTP Basic (`id:secret`).
 */

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
