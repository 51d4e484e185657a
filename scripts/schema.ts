/**
 * `npm run schema`: writes `query-janitor.schema.json`, the JSON Schema of the configuration file,
 * generated from the one schema the deployment uses (editors complete and check the file with
 * it; refinements such as "at least 5m" are checked by `query-janitor config validate`).
 */
import { writeFileSync } from 'node:fs';
import { fleetJsonSchema } from '../lib/contract/fleet.ts';

const path = new URL('../query-janitor.schema.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.pathname}`);
