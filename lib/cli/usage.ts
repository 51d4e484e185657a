/** The CLI's help texts: one overview, one per command. */

export const OVERVIEW = `Usage: query-janitor <command> [options]

Commands:
  list                 show accepted and in_progress jobs, their age and whether they are stale
  sweep                cancel stale jobs (dry-run unless --no-dry-run)
  cancel <id...>       cancel the named jobs if still running (dry-run unless --no-dry-run)
  config validate      check a configuration file
  config show          the effective settings of each tenant (never a secret value)
  redrive              re-send what the failed-events queue kept (shows first, --apply sends)

Run "query-janitor <command> --help" for a command's options.

Without --config, one tenant is configured by environment variables: credentials from
--secret-id or ZUORA_SECRET_ID, or ZUORA_CLIENT_ID, ZUORA_CLIENT_SECRET and ZUORA_BASE_URL;
the policy from the JANITOR_* variables. With --config <file>, the file's settings rule.

Exit codes: 0 all good, 1 some jobs failed or Zuora could not be reached, 2 usage or
configuration error, 130 stopped by Ctrl-C (what was done is printed).
`;

const TARGET = `  --config <file>      the configuration file (query-janitor.config.json); its settings rule
  --tenant <name>      the tenant to work on (required when the file has more than one)`;
const COMMON = `  --json               print JSON on standard output; logs go to standard error
  --secret-id <id>     read credentials from this Secrets Manager secret
  --timeout <d>        stop starting work after this long (10m; 1s to 24h); the rest is deferred
  -h, --help           show this help`;

/** Help by command. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  list: `Usage: query-janitor list [options]

Shows the tenant's accepted and in_progress jobs: age, stale or not, protected or not and why.
Changes nothing.

Options:
${TARGET}
  --all-tenants        every enabled tenant of the file, in parallel, one table each
${COMMON}
`,
  sweep: `Usage: query-janitor sweep [options]

Cancels the tenant's stale jobs, oldest first, up to its cap. Dry-run unless --no-dry-run.

Options:
${TARGET}
  --all-tenants        every enabled tenant of the file, in parallel, one report each
  --stale-after <d>    a shorter or longer threshold for both statuses (90m, 2h, PT2H); with
                       --config, no lower than the tenant's eventStaleAfterFloor
  --no-dry-run         really cancel (refused for a tenant whose configuration is dry-run)
${COMMON}
`,
  cancel: `Usage: query-janitor cancel <job id...> [options]

Cancels the named jobs if they are still accepted or in_progress, whatever their age; protect
rules still apply. Dry-run unless --no-dry-run.

Options:
${TARGET}
  --reason <text>      why, for the report and the logs
  --no-dry-run         really cancel (refused for a tenant whose configuration is dry-run)
${COMMON}
`,
  config: `Usage: query-janitor config validate|show --config <file> [--tenant <name>] [--json]

  validate   checks the file with the schema the deployment uses; exit 0 when valid, 2 if not
  show       the effective settings of each tenant, defaults applied (secrets by name only)
`,
  redrive: `Usage: query-janitor redrive --queue-url <url> [--event-bus <name>] [--event-source <source>]
                             [--apply] [--max <n>] [--json]

Reads the failed-events queue and says what each kept message is and what re-sending it would do:
Lambda on-failure records, rule dead-letter messages and Scheduler dead-letter messages. With
--apply, commands are sent again to the janitor's bus (--event-bus <name>, from the stack's
output JanitorEventBusName, keyed by the construct's id) and deleted from the queue once sent;
scheduled runs are only deleted (the next scheduled run does their work). A refused event sent again is refused again unless
its cause was fixed: it comes back to the queue. A command of another source than the
deployment's (--event-source, default query-janitor: the file's eventSource) is left alone: no
rule would deliver it.
`,
};
