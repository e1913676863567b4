/**
 * `npm run client:generate`: writes the typed client's schema (clients/typescript/schema.d.ts) from
 * the OpenAPI document the API serves at GET /openapi.json, through openapi-typescript. A unit test
 * (test/unit/typed-client-schema.test.ts) regenerates it in memory and fails when the committed file
 * differs, so that a contract change cannot land without the client that follows it.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '../functions/capabilities/docs/openapi.ts';

export const CLIENT_SCHEMA_FILE = fileURLToPath(new URL('../clients/typescript/schema.d.ts', import.meta.url));

const HEADER = `/**
 * The API's types, generated from its OpenAPI document by openapi-typescript: do not edit.
 * Regenerate with \`npm run client:generate\` after a change to a route or a schema.
 */

`;

/** The schema file's text, as generation gives it now. */
export const clientSchemaSource = async (): Promise<string> => {
  // openapi-typescript reads the document as JSON: the same bytes GET /openapi.json answers.
  const document = JSON.parse(JSON.stringify(openApiDocument()));
  const ast = await openapiTS(document);
  return HEADER + astToString(ast);
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(CLIENT_SCHEMA_FILE, await clientSchemaSource());
  console.log(`wrote ${CLIENT_SCHEMA_FILE}`);
}
