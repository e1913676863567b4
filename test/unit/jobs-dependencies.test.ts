/**
 * The jobs' use cases depend on their ports only: every import of functions/domain/jobs stays inside
 * functions/domain (no adapter, platform or HTTP code, no AWS SDK, no package at all).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const JOBS = resolve(import.meta.dirname, '../../functions/domain/jobs');
const DOMAIN = dirname(JOBS);

describe('the jobs’ use cases', () => {
  const files = readdirSync(JOBS).filter((f) => f.endsWith('.ts'));

  it('are the seven jobs', () => {
    expect(files.sort()).toEqual(['claims-import.ts', 'outbox.ts', 'retention.ts', 'search-index.ts', 'uploads.ts', 'vaccination-reminders.ts', 'visibility.ts']);
  });

  it.each(files)('%s imports nothing outside functions/domain', (file) => {
    const source = readFileSync(join(JOBS, file), 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const specifier of specifiers) {
      expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\//);
      expect(relative(DOMAIN, resolve(JOBS, specifier)).startsWith('..'), `${file} imports ${specifier}`).toBe(false);
    }
  });
});
