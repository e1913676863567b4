/** A vaccination as its readers get it (the list, the answer to a recording, the emergency summary). */
import type { VaccinationEntry } from '#domain/vaccinations/entries';

export const vaccinationView = (e: VaccinationEntry) => {
  const base = {
    id: e.id,
    source: e.source,
    author: { kind: e.author.kind, id: e.author.id, ...(e.author.profession !== undefined ? { profession: e.author.profession } : {}) },
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
