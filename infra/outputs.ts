/**
 * Stack outputs under names ops can type. CDK names an output by its construct path plus a hash
 * (`JanitorEventBusName562CEBB3`); `describe-stacks` queries and runbooks want a fixed key, so
 * each output is named `<janitor's id><name>`: `JanitorEventBusName`. Two janitors in one stack
 * have different ids, so their outputs differ too.
 */
import { CfnOutput, type CfnOutputProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** An output of `janitor` keyed `<janitor's id><name>` (letters and digits only). */
export function janitorOutput(janitor: Construct, name: string, props: CfnOutputProps): CfnOutput {
  const output = new CfnOutput(janitor, name, props);
  output.overrideLogicalId(`${janitor.node.id}${name}`.replace(/[^A-Za-z0-9]/g, ''));
  return output;
}

/** A tenant's name as it ends an output key: `prod-eu` → `ProdEu`. */
export function outputSuffix(tenant: string): string {
  return tenant
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
