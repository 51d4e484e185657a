/**
 * The janitor's own EventBridge bus. Commands (`Sweep Query Jobs`, `Cancel Query Jobs`) arrive
 * on it, and only from the principals the configuration names: its policy explicitly denies
 * `PutEvents` of a command detail-type to everyone else, the janitor's own functions included,
 * so an account-wide `events:PutEvents` grant cannot start a run.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { CANCEL_DETAIL_TYPE, SWEEP_DETAIL_TYPE } from '../lib/contract/names.ts';
import { janitorOutput } from './outputs.ts';

/** The detail-types that make the janitor act. */
export const COMMAND_DETAIL_TYPES = [SWEEP_DETAIL_TYPE, CANCEL_DETAIL_TYPE] as const;

/** Settings of {@link createJanitorBus}. */
export interface JanitorBusProps {
  /**
   * IAM principal ARNs (roles, users; `*` wildcards allowed) that may send commands. None means
   * no one can: commands are refused until the configuration names a sender.
   */
  readonly commandSenders: readonly string[];
}

/** Creates the bus with its command policy in `scope`, and outputs its name. */
export function createJanitorBus(scope: Construct, props: JanitorBusProps): events.EventBus {
  const bus = new events.EventBus(scope, 'EventBus', {
    description: 'query-janitor: commands in, results out',
  });
  const senders = [...props.commandSenders];
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyCommandsFromOthers',
      effect: iam.Effect.DENY,
      principals: [new iam.StarPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: { 'events:detail-type': [...COMMAND_DETAIL_TYPES] },
        // Without a sender the condition is left out: the deny then covers everyone.
        ...(senders.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': senders } } : {}),
      },
    }),
  );
  if (senders.length > 0) {
    // Same-account senders need an IAM grant as well; this lets senders in other accounts in.
    bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCommandsFromSenders',
        effect: iam.Effect.ALLOW,
        principals: [new iam.StarPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: {
          StringEquals: { 'events:detail-type': [...COMMAND_DETAIL_TYPES] },
          ArnLike: { 'aws:PrincipalArn': senders },
        },
      }),
    );
  }
  janitorOutput(scope, 'EventBusName', {
    description: 'Send Sweep Query Jobs and Cancel Query Jobs commands to this bus',
    value: bus.eventBusName,
  });
  janitorOutput(scope, 'EventBusArn', {
    description: "The janitor's bus (a replay's destination)",
    value: bus.eventBusArn,
  });
  return bus;
}
