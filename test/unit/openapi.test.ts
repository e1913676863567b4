/**
 * The OpenAPI document (GET /openapi.json) as a client generator or a reader sees it: valid
 * OpenAPI 3.1 by an independent validator (@readme/openapi-parser), one operation per route under
 * its stable operation id, a described tag per capability, a described security scheme, every
 * error as a problem document, and examples that the routes' own schemas accept.
 */
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { safeParse } from 'zod/v4/core';
import { CAPABILITIES, ROUTES } from '../../functions/capabilities/index.ts';
import { openApiDocument } from '../../functions/capabilities/docs/openapi.ts';
import { Problem } from '../../functions/http/schemas.ts';

type Json = Record<string, any>; // the document, as JSON

const document = openApiDocument() as Json;
const operationOf = (route: { method: string; path: string }): Json => document.paths[route.path][route.method.toLowerCase()];
const isSuccess = (status: string) => /^2\d\d$/.test(status);

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, result.valid ? '' : JSON.stringify(result.errors)).toBe(true);
  });

  it('would be refused by the validator if it were broken (the check above can fail)', async () => {
    const [first, second] = ROUTES;
    const duplicateId = structuredClone(document);
    duplicateId.paths[second!.path][second!.method.toLowerCase()].operationId = first!.id;
    expect((await validate(duplicateId as never)).valid).toBe(false);
    const badStatus = structuredClone(document);
    badStatus.paths[first!.path][first!.method.toLowerCase()].responses['2xx-ok'] = { description: 'not a status' };
    expect((await validate(badStatus as never)).valid).toBe(false);
  });

  it('has one operation per route, under the route id (client code is generated from these ids)', () => {
    const operations = Object.entries(document.paths as Record<string, Json>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.id}`).sort());
  });

  it('declares one described tag per capability, and tags each operation with its own', () => {
    expect(document.tags.map((t: Json) => t.name)).toEqual(CAPABILITIES.map((c) => c.name));
    for (const tag of document.tags) expect(tag.description, tag.name).toMatch(/\w{4,}/);
    for (const route of ROUTES) expect(operationOf(route).tags).toEqual([route.capability]);
  });

  it('describes the bearer scheme for every kind of caller that uses it, and each operation’s callers', () => {
    const bearer = document.components.securitySchemes.bearer;
    expect(bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const kinds = new Set(ROUTES.flatMap((r) => r.callers).filter((c) => c !== 'anonymous'));
    for (const kind of kinds) expect(bearer.description, kind).toContain(`**${kind}**`);
    for (const route of ROUTES) {
      expect(operationOf(route)['x-dmp-callers']).toEqual(route.callers);
      expect(operationOf(route).description, route.id).toMatch(/Callers: .+\.$/);
    }
  });

  it('answers every error as a problem document, with an example of that status', () => {
    for (const route of ROUTES) {
      for (const [status, response] of Object.entries(operationOf(route).responses as Record<string, Json>)) {
        if (Number(status) < 400) continue;
        const content = response.content['application/problem+json'];
        expect(content.schema, `${route.id} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        expect(safeParse(Problem, content.example).success, `${route.id} ${status}`).toBe(true);
        expect(content.example.status).toBe(Number(status));
      }
    }
  });
});

describe('examples', () => {
  it('every JSON success answer has an example its schema accepts; every other success answer says why not (no body, or not JSON)', () => {
    for (const route of ROUTES) {
      for (const [status, declared] of Object.entries(route.responses)) {
        if (!isSuccess(status)) continue;
        const response = operationOf(route).responses[status];
        if (declared.schema) {
          const example = response.content['application/json'].example;
          expect(example, `${route.id} ${status}`).toBeDefined();
          expect(safeParse(declared.schema, example).success, `${route.id} ${status}`).toBe(true);
        } else if (status === '204') {
          expect(response.content, route.id).toBeUndefined();
        } else {
          // The reason: a document, a page or a script, described by its content type.
          expect(declared.contentType, route.id).toMatch(/^(text\/html|text\/javascript|application\/json)$/);
          expect(['openapi', 'docs', 'docsScript']).toContain(route.id);
        }
      }
    }
  });

  it('every request body has an example its schema accepts', () => {
    for (const route of ROUTES.filter((r) => r.body)) {
      const example = operationOf(route).requestBody.content['application/json'].example;
      expect(example, route.id).toBeDefined();
      expect(safeParse(route.body!, example).success, route.id).toBe(true);
    }
  });

  it('path and query parameters have examples their schemas accept', () => {
    for (const route of ROUTES) {
      const parameters = operationOf(route).parameters as Json[];
      for (const [where, schema] of [
        ['path', route.params],
        ['query', route.query],
      ] as const) {
        if (!schema) continue;
        const examples = Object.fromEntries(parameters.filter((p) => p.in === where).map((p) => [p.name, p.example]));
        expect(safeParse(schema, examples).success, `${route.id} ${where} ${JSON.stringify(examples)}`).toBe(true);
      }
    }
  });

  it('are made-up values: the example INS is valid in form but is the same everywhere, and names are not canaries', () => {
    const text = JSON.stringify(document);
    expect(new Set(text.match(/"ins":"\d{15}"/g))).toEqual(new Set(['"ins":"285037501234537"']));
    expect(text).not.toMatch(/Canary/);
  });
});
