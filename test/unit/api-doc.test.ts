/** docs/API.md's table of operations is the route manifest's, row for row. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_DOC, TABLE_END, TABLE_START, operationsTable, withTable } from '../../bin/api-table.ts';
import { ROUTES } from '../../functions/capabilities/index.ts';

describe('docs/API.md', () => {
  const page = readFileSync(API_DOC, 'utf8');

  it('lists every operation of the manifest, as bin/api-table.ts writes it', () => {
    // On failure: npx tsx bin/api-table.ts rewrites the table from the manifest.
    expect(withTable(page)).toBe(page);
  });

  it('has one row per route, naming its method, path and operation id', () => {
    const table = page.slice(page.indexOf(TABLE_START), page.indexOf(TABLE_END));
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows).toHaveLength(ROUTES.length);
    for (const r of ROUTES) expect(table).toContain(`| \`${r.method} ${r.path}\` | \`${r.id}\` |`);
  });

  it('rewrites only what lies between the markers', () => {
    const page = `before\n${TABLE_START}\nstale\n${TABLE_END}\nafter\n`;
    expect(withTable(page, '| t |')).toBe(`before\n${TABLE_START}\n| t |\n${TABLE_END}\nafter\n`);
    expect(() => withTable('no markers')).toThrow(/markers/);
    expect(operationsTable([])).toBe('| operation | id | capability | callers | answers | what it does |\n| --- | --- | --- | --- | --- | --- |');
  });
});
