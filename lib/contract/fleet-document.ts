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

/**
 * How many secret ARNs known only at deploy time the functions can carry: Lambda holds 4 KB of
 * variables (measured as their JSON), and each such ARN takes 160 to 190 bytes with its
 * variable's name: a generated secret name grows with the stack's name and the region's. Twenty
 * leave room for the functions' own variables in a GovCloud region with a long stack name.
 */
export const MAX_DEPLOY_TIME_SECRETS = 20;

/** Why `count` secrets known only at deploy time are too many, or undefined. */
export function deployTimeSecretsProblem(count: number): string | undefined {
  if (count <= MAX_DEPLOY_TIME_SECRETS) return undefined;
  return `${count} tenants' secrets would be known only at deploy time (created by the stack, or passed in), and their ARNs would not fit in Lambda's 4 KB of variables (at most ${MAX_DEPLOY_TIME_SECRETS}): give some tenants an existing secret's name or ARN ("secret"), which goes into the code asset instead`;
}
