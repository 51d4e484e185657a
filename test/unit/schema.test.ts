/** The JSON Schema editors use is the one the deployment validates with, and the example is valid. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fleetJsonSchema, parseFleetText } from '../../lib/contract/fleet.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('query-janitor.schema.json', () => {
  it('is generated from the configuration schema (run npm run schema after changing it)', () => {
    expect(JSON.parse(read('query-janitor.schema.json'))).toEqual(fleetJsonSchema());
  });

  it('refuses unknown keys, as the configuration schema does', () => {
    const schema = fleetJsonSchema() as {
      additionalProperties: boolean;
      properties: { tenants: { items: { additionalProperties: boolean } } };
    };

    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.tenants.items.additionalProperties).toBe(false);
  });
});

describe('query-janitor.config.example.json', () => {
  it('is a valid configuration', () => {
    const result = parseFleetText(read('query-janitor.config.example.json'));

    expect(result.ok && result.fleet.tenants.map((tenant) => tenant.name)).toEqual([
      'prod-us',
      'sandbox',
    ]);
  });
});
