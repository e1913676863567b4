/** Documents over HTTP: deposit bodies, deposits, reads, and the professional messages the runtime sent. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { NewDocument } from '../../functions/domain/documents.ts';
import { NO_LABELS, newDocumentId } from '../../functions/domain/documents.ts';
import { canary } from './fixtures.ts';
import type { TestApi } from './runtime.ts';

/** A valid deposit body: a lab report (class 10) with a canary title and random content. */
export const documentBody = (extra: Record<string, unknown> = {}, content: Buffer = randomBytes(2048)) => ({
  typeCode: '11502-2',
  title: `Bilan sanguin ${canary('Titre')}`,
  serviceDate: '2026-11-20',
  contentType: 'application/pdf',
  content: content.toString('base64'),
  ...extra,
});

/** Deposits a document and expects it to be accepted: its id. */
export const deposit = async (api: TestApi, token: string, dmpId: string, extra: Record<string, unknown> = {}, content?: Buffer): Promise<string> => {
  const res = await api.call('POST', `/v1/records/${dmpId}/documents`, { token, body: documentBody(extra, content) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.documentId as string;
};

export const listIds = async (api: TestApi, token: string, dmpId: string, query = ''): Promise<string[]> => {
  const res = await api.call('GET', `/v1/records/${dmpId}/documents${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.items as { documentId: string }[]).map((i) => i.documentId);
};

export const professionalMessages = async (api: TestApi, to: string): Promise<{ to: string; message: string }[]> =>
  (await api.call('GET', `/_local/professional-messages?to=${to}`)).body.items;

export const accessLog = async (api: TestApi, token: string, dmpId: string) => {
  const res = await api.call('GET', `/v1/records/${dmpId}/access-log?limit=100`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as { at: string; actor: { kind: string; id?: string; profession?: string }; action: string; mode: string; documentId?: string; professionalId?: string }[];
};

/** A document as the documents capability hands it to the store: a lab report by a doctor, deposited at `depositedAt`. */
export const newDocumentInput = (depositedAt: Date, extra: Partial<NewDocument> = {}, content: Buffer = randomBytes(1000)): NewDocument => {
  const documentId = extra.documentId ?? newDocumentId(depositedAt, randomBytes);
  return {
    documentId,
    version: 1,
    setId: documentId,
    typeCode: '11502-2',
    classCode: '10',
    title: 'Bilan sanguin de contrôle',
    serviceDate: '2026-11-20',
    depositedAt,
    contentType: 'application/pdf',
    content,
    author: { kind: 'professional', id: '810000000001', profession: '10' },
    labels: NO_LABELS,
    ...extra,
  };
};
