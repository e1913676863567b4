/**
 * The table of operations in docs/API.md, written from the route manifest so the page cannot
 * drift from what is served. `npx tsx bin/api-table.ts` rewrites the table in place (between its
 * two marker comments); test/unit/api-doc.test.ts fails when the page and the manifest differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROUTES } from '../functions/capabilities/index.ts';
import type { Route } from '../functions/http/route.ts';

export const API_DOC = fileURLToPath(new URL('../docs/API.md', import.meta.url));
export const TABLE_START = '<!-- operations: written by bin/api-table.ts from functions/capabilities/*/routes.ts -->';
export const TABLE_END = '<!-- end of operations -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

const answers = (route: Route): string => {
  const success = Object.keys(route.responses).join(', ');
  const errors = (route.errors ?? []).join(', ');
  return errors ? `${success}; also ${errors}` : success;
};

const callers = (route: Route): string => route.callers.map((c) => (c === 'anonymous' ? 'no token' : c)).join(', ');

/** One row per route, in the manifest's order (grouped by capability). */
export const operationsTable = (routes: readonly Route[] = ROUTES): string =>
  [
    '| operation | id | capability | callers | answers | what it does |',
    '| --- | --- | --- | --- | --- | --- |',
    ...routes.map(
      (r) =>
        `| \`${r.method} ${r.path}\` | \`${r.id}\` | ${r.capability} | ${callers(r)} | ${answers(r)} | ${cell(r.summary)}${r.idempotent ? ' (accepts `Idempotency-Key`)' : ''} |`,
    ),
  ].join('\n');

/** The page with its table replaced by the manifest's. */
export const withTable = (page: string, table: string = operationsTable()): string => {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`${API_DOC} lacks the operations markers`);
  return `${page.slice(0, start + TABLE_START.length)}\n${table}\n${page.slice(end)}`;
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const page = readFileSync(API_DOC, 'utf8');
  const updated = withTable(page);
  if (updated !== page) writeFileSync(API_DOC, updated);
  console.log(updated === page ? 'docs/API.md: the table of operations is up to date' : 'docs/API.md: the table of operations was rewritten');
}
