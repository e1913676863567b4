/**
 * The layout's promises, checked rather than hoped: every capability folder is in the list and
 * has its four parts; handlers take their input typed from their route (no casts); record data and
 * data keys reach use cases only through a record opened by the access policy (accessRecord).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../functions/capabilities/index.ts';

const ROOT = new URL('../../functions/', import.meta.url).pathname;
const CAPABILITIES_DIR = join(ROOT, 'capabilities');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });

const folders = readdirSync(CAPABILITIES_DIR).filter((name) => statSync(join(CAPABILITIES_DIR, name)).isDirectory());

describe('the layout', () => {
  it('lists every capability folder, and each has its routes, use cases and Lambda entry', () => {
    expect(CAPABILITIES.map((c) => c.name).sort()).toEqual([...folders].sort());
    for (const name of folders) {
      for (const part of ['routes.ts', 'use-cases.ts', 'handler.ts']) expect(existsSync(join(CAPABILITIES_DIR, name, part)), `${name}/${part}`).toBe(true);
      expect(readFileSync(join(CAPABILITIES_DIR, name, 'use-cases.ts'), 'utf8')).toMatch(/export const capability = defineCapability</);
    }
  });

  it('serves each route from the capability that declares it', () => {
    for (const c of CAPABILITIES) expect(c.routes.filter((r) => r.capability !== c.name).map((r) => r.id)).toEqual([]);
  });

  it('leaves no cast of a call’s body, parameters or query', () => {
    const casts = filesUnder(ROOT).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/call\.(body|params|query)\)? as\b/g)].map((m) => `${file.slice(ROOT.length)}: ${m[0]}`),
    );
    expect(casts).toEqual([]);
  });

  it('lets use cases reach a record and its data key only through the access policy', () => {
    const direct = folders.flatMap((name) => {
      const text = readFileSync(join(CAPABILITIES_DIR, name, 'use-cases.ts'), 'utf8');
      return [...text.matchAll(/deps\.records\.load\(|keyRing\.unwrap\(/g)].map((m) => `${name}: ${m[0]}`);
    });
    // The login flow opens the record a login belongs to, to send its code: no caller reads it.
    expect(direct).toEqual(['auth: deps.records.load(', 'auth: keyRing.unwrap(']);
  });
});
