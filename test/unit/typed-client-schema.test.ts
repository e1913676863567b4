/**
 * The typed client (clients/typescript) follows the contract: its committed schema is what
 * openapi-typescript generates now from the OpenAPI document (GET /openapi.json), so a change to a
 * route or a schema without `npm run client:generate` fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_SCHEMA_FILE, clientSchemaSource } from '../../bin/client-generate.ts';
import { ROUTES } from '../../functions/capabilities/index.ts';

describe('clients/typescript/schema.d.ts', () => {
  const committed = readFileSync(CLIENT_SCHEMA_FILE, 'utf8');

  it('is what generation from the OpenAPI document gives now', async () => {
    // On failure: npm run client:generate rewrites it.
    expect(await clientSchemaSource()).toBe(committed);
  });

  it('types every operation of the route manifest', () => {
    for (const r of ROUTES) {
      expect(committed).toContain(`    ${JSON.stringify(r.path)}: {`);
      expect(committed).toMatch(new RegExp(`\\n {4}${r.id}: \\{\\n`));
    }
  });
});
