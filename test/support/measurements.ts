/** Paired devices and measurements for the tests of the measurements capability. */
import { expect } from 'vitest';
import { canary } from './fixtures.ts';
import type { TestApi } from './runtime.ts';

/** An instant `minutes` before now (UTC, as a device would send it). */
export const minutesAgo = (minutes: number, now = Date.now()): string => new Date(now - minutes * 60_000).toISOString();

/** A weight of 72.5 kg ten minutes ago; `extra` overrides. */
export const weight = (extra: Record<string, unknown> = {}) => ({ code: '29463-7', unit: 'kg', value: 72.5, effectiveAt: minutesAgo(10), ...extra });

/** A heart rate; `extra` overrides. */
export const heartRate = (extra: Record<string, unknown> = {}) => ({ code: '8867-4', unit: '/min', value: 64, effectiveAt: minutesAgo(10), ...extra });

/** A blood pressure of 120/80 mm[Hg], a code made of two components; `extra` overrides. */
export const bloodPressure = (extra: Record<string, unknown> = {}) => ({
  code: '85354-9',
  unit: 'mm[Hg]',
  components: [
    { code: '8480-6', value: 120 },
    { code: '8462-4', value: 80 },
  ],
  effectiveAt: minutesAgo(10),
  ...extra,
});

export interface Paired {
  deviceId: string;
  credential: string;
  name: string;
}

/** Pairs a device (a canary name, to look for in the raw table) with the record: its id and credential. */
export const pairDevice = async (api: TestApi, token: string, dmpId: string, name = canary('Balance')): Promise<Paired> => {
  const res = await api.call('POST', `/v1/records/${dmpId}/devices`, { token, body: { name } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { deviceId: res.body.deviceId, credential: res.body.credential, name };
};

export const postMeasurements = (api: TestApi, token: string, dmpId: string, measurements: unknown[]) =>
  api.call('POST', `/v1/records/${dmpId}/measurements`, { token, body: { measurements } });

export const listMeasurements = (api: TestApi, token: string, dmpId: string, query = '') =>
  api.call('GET', `/v1/records/${dmpId}/measurements${query ? `?${query}` : ''}`, { token });

/** The measurement items of a record in the raw table (OBS#… under REC#<dmpId>). */
export const measurementItems = async (api: TestApi, dmpId: string) => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${dmpId}` && String(i.sk?.S ?? '').startsWith('OBS#'));

/** The device items of a record in the raw table (DEVICE#… under REC#<dmpId>). */
export const deviceItems = async (api: TestApi, dmpId: string) => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${dmpId}` && String(i.sk?.S ?? '').startsWith('DEVICE#'));
