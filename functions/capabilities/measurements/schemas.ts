/** Paired devices and the measurements they (or the patient) record. */
import * as z from 'zod/mini';
import { DEVICE_ID, MAX_MEASUREMENTS_PER_BATCH, MEASUREMENT_CODES } from '#domain/measurements';
import { count, Day, DmpId, Instant, PageCursor, PageLimit, text } from '#http/schemas';

export const DeviceId = z.lazy(() => z.string().check(z.regex(DEVICE_ID), z.meta({ description: 'Opaque id of a device paired with the record' })));

export const DeviceParams = z.lazy(() => z.strictObject({ dmpId: DmpId, deviceId: DeviceId }));

export const PairDevice = z.lazy(() =>
  z.strictObject({
    name: text(100).check(z.meta({ description: 'What the patient calls the device or app (“Balance salle de bain”): sealed, shown to the record’s holders only' })),
  }),
);

export const PairedDevice = z.lazy(() =>
  z.strictObject({
    deviceId: DeviceId,
    name: z.string(),
    pairedAt: Instant,
    credential: z.string().check(
      z.meta({
        description:
          'The device’s credential, shown this once and never again (only its SHA-256 is kept): the device sends it as `Authorization: Bearer <credential>` to POST …/measurements of this record.',
      }),
    ),
  }),
);

const Holder = z.lazy(() => z.strictObject({ kind: z.enum(['patient', 'representative']), id: z.string() }));

export const DeviceList = z.lazy(() =>
  z.strictObject({
    items: z.array(
      z.strictObject({
        deviceId: DeviceId,
        name: z.string(),
        pairedAt: Instant,
        pairedBy: Holder,
        revokedAt: z.optional(Instant.check(z.meta({ description: 'Since when its credential authenticates nobody' }))),
      }),
    ),
  }),
);

const MEASUREMENT_FIELDS =
  '`{ code, unit, value | components, effectiveAt, deviceId? }`: `code` a LOINC code of data/measurements.json, `unit` its UCUM unit exactly, `value` a number within the code’s plausible range or, for a code made of components (blood pressure 85354-9), `components: [{ code, value }]` with each of its components once, each within its range; `effectiveAt` an RFC 3339 instant (Z or an offset), not in the future (5 minutes of clock tolerance) nor before the patient’s birth; `deviceId` a device paired with this record (a device’s own id, or none, when a device sends).';

export const MeasurementBatch = z.lazy(() =>
  z.strictObject({
    measurements: z.array(z.unknown().check(z.meta({ description: `A measurement ${MEASUREMENT_FIELDS}` }))).check(z.minLength(1), z.maxLength(MAX_MEASUREMENTS_PER_BATCH)),
  }),
);

export const MeasurementOutcome = z.lazy(() =>
  z.strictObject({
    stored: count().check(z.meta({ description: 'Measurements stored by this request' })),
    duplicate: count().check(z.meta({ description: 'Measurements stored already (the same device, code and instant; or twice in this batch): stored once' })),
  }),
);

const Bound = z.lazy(() => z.union([Day, z.iso.datetime({ offset: true })]).check(z.meta({ description: 'An instant (RFC 3339), or a day (UTC): from its start, to its end' })));

export const MeasurementQuery = z.lazy(() =>
  z.strictObject({
    code: z.optional(z.enum(MEASUREMENT_CODES).check(z.meta({ description: 'One code’s series (LOINC, data/measurements.json); every code when absent' }))),
    from: z.optional(Bound),
    to: z.optional(Bound),
    limit: z.optional(PageLimit),
    cursor: z.optional(PageCursor),
  }),
);

const Source = z.lazy(() => z.enum(['device', 'patient', 'representative']));

export const MeasurementView = z.lazy(() =>
  z.strictObject({
    measurementId: z.string().check(z.meta({ description: 'Opaque id of the measurement in this record' })),
    code: z.string(),
    display: z.string(),
    unit: z.string(),
    value: z.optional(z.number()),
    components: z.optional(z.array(z.strictObject({ code: z.string(), display: z.string(), value: z.number() }))),
    effectiveAt: Instant,
    source: Source.check(z.meta({ description: 'Who entered it: a paired device, or a holder of the record' })),
    author: z.strictObject({
      kind: Source,
      id: z.optional(z.string().check(z.meta({ description: 'The device’s id, the patient’s dmpId, or the representative’s login id (to the record’s holders only)' }))),
    }),
    deviceId: z.optional(DeviceId.check(z.meta({ description: 'The paired device that measured it' }))),
    recordedAt: Instant,
  }),
);

export const MeasurementList = z.lazy(() => z.strictObject({ items: z.array(MeasurementView), nextCursor: z.nullable(z.string()) }));
