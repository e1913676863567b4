/**
 * The contract's schemas are built on first use (functions/http/schemas.ts and each capability's schemas.ts): every schema a route
 * names is a `z.lazy`, and validating one route's body builds that body's schema and no other
 * route's. This file has its own module registry (vitest isolates test files), so nothing has
 * touched the schemas before it runs.
 */
import { describe, expect, it } from 'vitest';
import { safeParse, type $ZodType } from 'zod/v4/core';
import { ROUTES } from '../../functions/capabilities/index.ts';

interface LazyDef {
  type: string;
  getter?: () => $ZodType;
}

const defOf = (schema: $ZodType): LazyDef => schema._zod.def as unknown as LazyDef;

/** Every schema a route names, with where it sits. */
const routeSchemas = ROUTES.flatMap((route) => [
  ...(route.body ? [{ where: `${route.id} body`, schema: route.body as $ZodType }] : []),
  ...(route.params ? [{ where: `${route.id} params`, schema: route.params as $ZodType }] : []),
  ...(route.query ? [{ where: `${route.id} query`, schema: route.query as $ZodType }] : []),
  ...Object.entries(route.responses).flatMap(([status, r]) => (r.schema ? [{ where: `${route.id} ${status}`, schema: r.schema as $ZodType }] : [])),
]);

describe('route schemas', () => {
  it('are all lazy, and validating one body builds that body only', () => {
    expect(routeSchemas.length).toBeGreaterThan(40);
    const notLazy = routeSchemas.filter(({ schema }) => defOf(schema).type !== 'lazy').map(({ where }) => where);
    expect(notLazy).toEqual([]);

    // Count the builds from here on: the lazy calls def.getter() the first time it is used.
    const builds = new Map<$ZodType, number>();
    for (const { schema } of routeSchemas) {
      const def = defOf(schema);
      const build = def.getter!;
      def.getter = () => {
        builds.set(schema, (builds.get(schema) ?? 0) + 1);
        return build();
      };
    }

    const createRecord = ROUTES.find((r) => r.id === 'createRecord')!.body as $ZodType;
    expect(safeParse(createRecord, { ins: 'not an INS' }).success).toBe(false);
    expect(safeParse(createRecord, {}).success).toBe(false);
    expect([...builds.entries()]).toEqual([[createRecord, 1]]);
  });
});
