/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias set
 * by the construct). Lambda always puts the execution role's credentials in the environment, so
 * the SDK's full chain (SSO, profiles, STS, instance metadata) is dead weight there: about 90 KB
 * of bundle and its import time. The CLI keeps the full chain.
 */
export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';
