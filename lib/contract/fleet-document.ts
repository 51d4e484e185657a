/**
 * The configuration as each function finds it in its code asset (`fleet.json`): the file ops
 * wrote, exactly (the function validates it again at start-up with the same schema), and where
 * each tenant's secret is. Secret *values* are never in it; a secret the stack creates is known
 * only at deploy time, so its ARN reaches the function through an environment variable named here.
 */

/** Where a tenant's secret is: its name or ARN, or the variable that carries its ARN. */
export type SecretLocation = { readonly id: string } | { readonly env: string };

/** The code asset's configuration file. */
export interface FleetDocument {
  readonly version: 1;
  /** The configuration file's content, as written. */
  readonly config: unknown;
  /** Each tenant's secret, by tenant name. */
  readonly secrets: Readonly<Record<string, SecretLocation>>;
}

/** The document's text. */
export function writeFleetDocument(
  config: unknown,
  secrets: Record<string, SecretLocation>,
): string {
  const document: FleetDocument = { version: 1, config, secrets };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The variable that carries the ARN of the secret of the tenant at `index`. */
export function secretVariable(index: number): string {
  return `QUERY_JANITOR_SECRET_${index}`;
}
