/** Claim lines and batches for the tests of the reimbursed-care history. */
import { randomUUID } from 'node:crypto';
import { addMonths } from '../../functions/domain/claims/lines.ts';
import { randomFiness, randomRpps } from './fixtures.ts';
import type { TestApi } from './runtime.ts';

/** A day `n` days before today (UTC). */
export const daysAgo = (n: number, now = new Date()): string => new Date(now.getTime() - n * 86_400_000).toISOString().slice(0, 10);

export const sourceId = (): string => `src-${randomUUID()}`;

/** A valid medication line (a canary label, to look for in the raw table), `extra` overrides. */
export const medicationLine = (extra: Record<string, unknown> = {}) => ({
  sourceId: sourceId(),
  category: 'medication',
  date: daysAgo(10),
  codeSystem: 'CIP13',
  code: '3400930000120',
  display: `DOLIPRANE canary-${randomUUID().slice(0, 8)}`,
  atcGroup: 'N02',
  atcValence: 'N02BE01',
  activeComponents: ['1234'],
  quantity: 2,
  prescriber: { id: randomRpps(), profession: '10', specialty: 'SM54' },
  performer: { finess: randomFiness(), name: 'Pharmacie du canal' },
  ...extra,
});

export const labLine = (extra: Record<string, unknown> = {}) => ({
  sourceId: sourceId(),
  category: 'lab',
  date: daysAgo(30),
  codeSystem: 'NABM',
  code: '1104',
  display: 'hémogramme',
  ...extra,
});

export const stayLine = (extra: Record<string, unknown> = {}) => ({
  sourceId: sourceId(),
  category: 'stay',
  date: daysAgo(60),
  codeSystem: 'GHS',
  code: '1234',
  display: 'séjour',
  performer: { finess: randomFiness() },
  ...extra,
});

/** A day older than the history keeps. */
export const tooOld = (): string => addMonths(daysAgo(0), -24);

export const batchId = (): string => `batch-${randomUUID()}`;

export const pushBatch = (api: TestApi, token: string, body: unknown) => api.call('POST', '/v1/claims/batches', { token, body });

/** The claim lines of the table (CLAIMSRC#… under a record: one item per sourceId). */
export const claimItems = async (api: TestApi, dmpId?: string) =>
  (await api.scanAll()).filter((i) => String(i.sk?.S ?? '').startsWith('CLAIMSRC#') && (dmpId === undefined || i.pk?.S === `REC#${dmpId}`));

/** The day of care of a line's item: its position in the history's index (gsi2sk CLAIM#<date>#<h>). */
export const claimDay = (item: Record<string, { S?: string }>): string => String(item.gsi2sk?.S).split('#')[1] ?? '';

/** Items of the earlier two-item layout (CLAIM#<date>#<h> lines): none is ever written now. */
export const legacyClaimItems = async (api: TestApi, dmpId?: string) =>
  (await api.scanAll()).filter((i) => String(i.sk?.S ?? '').startsWith('CLAIM#') && (dmpId === undefined || i.pk?.S === `REC#${dmpId}`));
