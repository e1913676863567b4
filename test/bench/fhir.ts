/**
 * The FHIR interface (section `fhir`), through the local runtime over real HTTP, by the doctor who
 * created the record: on a record of 50 documents, a DocumentReference search of 50 against GET
 * /v1/records/{dmpId}/documents?limit=50, and Patient/$everything against the same data through
 * /v1 (GET /v1/records/{dmpId}, then the documents' listing and each health-data read side by side),
 * timed in the same interleaved rounds.
 * The AWS calls of one request of each are counted on the runtime's clients: the view adds
 * mapping, not AWS calls (target: a ratio of medians ≤ 1.2×, printed, never failing the run).
 */
import type { CallCounter, Counts } from './counting.ts';
import { type Bench, creationBody, expectStatus } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export interface FhirResult {
  rounds: number;
  documents: number;
  rows: { name: string; fhir: Summary; v1: Summary; ratio: number; fhirCalls: Counts; v1Calls: Counts }[];
}

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

/** The health data's /v1 reads that Patient/$everything makes through the fhir-health reader. */
const HEALTH_PARTS = ['profile', 'wishes', 'vaccinations', 'vaccinations/due', 'measurements', 'access-log?limit=100', 'claims'];

export const measureFhir = async (bench: Bench, counter: CallCounter, rounds: number, warmupRounds = 2): Promise<FhirResult> => {
  const doctor = await bench.professionalToken();
  const created = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body: creationBody() }), 201).body;
  const dmpId = created.dmpId as string;
  const pid = dmpId.replaceAll('_', '.');
  for (let i = 0; i < 50; i++) {
    const doc = { typeCode: '11502-2', title: `Document ${i}`, serviceDate: '2026-11-20', contentType: 'text/plain', content: Buffer.from(`compte rendu ${i}`).toString('base64') };
    expectStatus('POST …/documents', await bench.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body: doc }), 201);
  }
  const pairs = {
    search: {
      fhir: async () => {
        const res = expectStatus('GET /fhir/DocumentReference', await bench.call('GET', `/fhir/DocumentReference?patient=${pid}&_count=50`, { token: doctor }), 200);
        if (res.body.entry?.length !== 50) throw new Error('fhir bench: the search misses documents');
      },
      v1: async () => {
        const res = expectStatus('GET …/documents', await bench.call('GET', `/v1/records/${dmpId}/documents?limit=50`, { token: doctor }), 200);
        if (res.body.items?.length !== 50) throw new Error('fhir bench: the listing misses documents');
      },
    },
    everything: {
      fhir: async () => {
        const res = expectStatus('GET /fhir/Patient/{id}/$everything', await bench.call('GET', `/fhir/Patient/${pid}/$everything?_count=100`, { token: doctor }), 200);
        // The Patient, the 50 documents, then the health data (the access log at least).
        if ((res.body.entry?.length ?? 0) <= 51) throw new Error('fhir bench: $everything misses resources');
      },
      v1: async () => {
        // What $everything reads, through /v1: the record, the documents, and each part of the
        // health data side by side (a part the doctor may not read answers 403, as it is left out there).
        expectStatus('GET /v1/records/{dmpId}', await bench.call('GET', `/v1/records/${dmpId}`, { token: doctor }), 200);
        await Promise.all([
          bench.call('GET', `/v1/records/${dmpId}/documents?limit=100`, { token: doctor }).then((r) => expectStatus('GET …/documents', r, 200)),
          ...HEALTH_PARTS.map((part) => bench.call('GET', `/v1/records/${dmpId}/${part}`, { token: doctor })),
        ]);
      },
    },
  } as const;
  const rows: FhirResult['rows'] = [];
  for (const [name, pair] of Object.entries(pairs)) {
    const samples = { fhir: [] as number[], v1: [] as number[] };
    const calls = { fhir: {} as Counts, v1: {} as Counts };
    for (let r = 0; r < warmupRounds + rounds; r++) {
      const order = (r % 2 === 0 ? ['fhir', 'v1'] : ['v1', 'fhir']) as ('fhir' | 'v1')[];
      for (const side of order) {
        if (r === warmupRounds) counter.reset();
        const ms = await timed(pair[side]);
        if (r === warmupRounds) calls[side] = counter.take().calls;
        if (r >= warmupRounds) samples[side].push(ms);
      }
    }
    const fhir = summarize(samples.fhir);
    const v1 = summarize(samples.v1);
    rows.push({ name, fhir, v1, ratio: fhir.median / v1.median, fhirCalls: calls.fhir, v1Calls: calls.v1 });
  }
  return { rounds, documents: 50, rows };
};
