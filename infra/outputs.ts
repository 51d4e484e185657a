/**
 * Stack outputs under names ops can type. CDK names an output by its construct path plus a hash
 * (`JanitorEventBusName562CEBB3`); `describe-stacks` queries and runbooks want a fixed key, so
 * each output is named `<janitor's id><name>`: `JanitorEventBusName`. Two janitors in one stack
 * have different ids, so their outputs differ too.
 */
import { CfnOutput, type CfnOutputProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** An output of `janitor` keyed `<janitor's id><key>` (letters and digits only). */
export function janitorOutput(
  janitor: Construct,
  id: string,
  props: CfnOutputProps,
  key: string = id,
): CfnOutput {
  const output = new CfnOutput(janitor, id, props);
  output.overrideLogicalId(`${janitor.node.id}${key}`.replace(/[^A-Za-z0-9]/g, ''));
  return output;
}

/** A tenant's name as it ends an output key: `prod-eu` → `ProdEu`. */
function pascal(tenant: string): string {
  return tenant
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * How each tenant's name ends its outputs' keys: `prod-eu` → `ProdEu`. Names that read alike once
 * their dashes are gone (`eu-1` and `eu1`, `a--b` and `a-b`) are told apart by a number, in the
 * order of their names, so each key stays the same from one deploy to the next.
 */
export function outputSuffixes(tenants: readonly string[]): Map<string, string> {
  const byPascal = Map.groupBy([...tenants].sort(), pascal);
  const suffixes = new Map<string, string>();
  for (const [base, names] of byPascal) {
    names.forEach((name, index) => {
      suffixes.set(name, names.length === 1 ? base : `${base}N${index + 1}`);
    });
  }
  const taken = Map.groupBy(suffixes.keys(), (name) => suffixes.get(name) as string);
  for (const [suffix, names] of taken) {
    if (names.length > 1) {
      throw new Error(
        `Tenants ${names.join(' and ')} would share the output key suffix ${suffix}: rename one`,
      );
    }
  }
  return suffixes;
}
