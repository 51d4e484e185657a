/**
 * `query-janitor/cdk`: the construct for your own CDK app, and a ready-made stack. The Lambda
 * code ships prebuilt with the package, so your app needs neither esbuild nor Docker, nor to
 * know where the sources live; the configuration you pass is written into each function's
 * code asset.
 */

export type { JanitorFunctionOverrides } from './janitor-function.ts';
export { QueryJobJanitor, type QueryJobJanitorProps } from './query-job-janitor.ts';
export { DEFAULT_CONFIG_PATH, QueryJanitorStack } from './stack.ts';
