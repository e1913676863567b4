/** A vaccination as a reader gets it (the list, the answer to a recording, the emergency summary): a representative's id to the record's holders only. */
import type { Actor } from '#domain/actor';
import type { VaccinationEntry } from '#domain/vaccinations/entries';
import { authorShownTo } from '../common.ts';

export const vaccinationView = (reader: Actor) => (e: VaccinationEntry) => {
  const base = {
    id: e.id,
    source: e.source,
    author: authorShownTo(reader, { kind: e.author.kind, id: e.author.id, ...(e.author.profession !== undefined ? { profession: e.author.profession } : {}) }),
    date: e.date,
    dateKind: e.dateKind,
    vaccine: {
      name: e.vaccine.name,
      codeSystem: e.vaccine.codeSystem,
      code: e.vaccine.code,
      ...(e.vaccine.atcValence !== undefined ? { atcValence: e.vaccine.atcValence } : {}),
    },
  };
  if (e.source === 'claims') return base;
  return {
    ...base,
    doseNumber: e.doseNumber,
    recordedAt: e.recordedAt,
    ...(e.lotNumber !== undefined ? { lotNumber: e.lotNumber } : {}),
    ...(e.vaccinator !== undefined ? { vaccinator: e.vaccinator } : {}),
    ...(e.nextBoosterDate !== undefined ? { nextBoosterDate: e.nextBoosterDate } : {}),
  };
};
