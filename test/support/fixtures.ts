/** Test data: valid INS, identities with unique canary values, professional ids. */
import { randomInt } from 'node:crypto';
import { insKey } from '../../functions/domain/ins.ts';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A random, valid INS (not a real person's: the order number is random). */
export const randomIns = (): string => {
  const dept = randomInt(0, 20) === 0 ? (randomInt(0, 2) ? '2A' : '2B') : pad(randomInt(1, 96), 2);
  const nir = `${randomInt(1, 3)}${pad(randomInt(0, 100), 2)}${pad(randomInt(1, 13), 2)}${dept}${pad(randomInt(1, 1000), 3)}${pad(randomInt(1, 1000), 3)}`;
  return nir + pad(insKey(nir), 2);
};

export const randomMobile = (): string => `+336${pad(randomInt(0, 100_000_000), 8)}`;
export const randomRpps = (): string => `8${pad(randomInt(0, 100_000_000_000), 11)}`;
export const randomFiness = (): string => `75${pad(randomInt(0, 10_000_000), 7)}`;

/** A unique marker to plant in names and search for in the raw table. */
export const canary = (label: string): string => `Canary${label}${randomInt(0, 2 ** 40).toString(36)}`;

export const adultIdentity = (familyName = canary('Nom'), givenNames = canary('Prenom')) => ({
  familyName,
  givenNames,
  birthDate: '1975-03-14',
  sex: 'F' as const,
});

export const minorBirthDate = (now = new Date()): string => `${now.getUTCFullYear() - 10}-06-15`;

/** A valid `POST /v1/records` body for an adult with a fresh INS and mobile; `extra` overrides. */
export const recordBody = (extra: Record<string, unknown> = {}, familyName?: string) => ({
  ins: randomIns(),
  identity: adultIdentity(familyName),
  contact: { mobile: randomMobile() },
  consent: { expressConsent: true, informedAt: '2026-11-22T10:00:00Z' },
  ...extra,
});
