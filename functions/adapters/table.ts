/**
 * The single DynamoDB table: its definition (shared by the CDK stack and the local runtime, so the
 * two cannot drift) and its key layout. Partition keys are opaque: a dmpId, a keyed hash, a
 * random login id; never an INS, a name or a phone number.
 *
 *   REC#<dmpId>            META                 the record (identity and contact sealed)
 *   REC#<dmpId>            KEY                  the record's data key, wrapped by KMS
 *   REC#<dmpId>            PRO#<professionalId> a professional's authorization (or block)
 *   REC#<dmpId>            PRO#<id>#EMERGENCY   the professional's last emergency access (reason sealed)
 *   REC#<dmpId>            PRO#<id>#SEEN        the professional's first access (notified once)
 *   REC#<dmpId>            PRO#<id>#NOTICE      when the professional's last emergency access was told to the patient
 *   REC#<dmpId>            DOC#<documentId>     a document's metadata (title sealed): the commit point
 *   REC#<dmpId>            DOCCHANGED#<docId>   a document version whose status or labels changed since its deposit
 *                                              (keys only): the keyword search reads it again rather than trust its postings
 *   REC#<dmpId>            CHUNK#<docId>#<n>    a piece of a document's content (sealed)
 *   REC#<dmpId>            UPLOAD#<documentId>  a deposit whose chunks are being written
 *   REC#<dmpId>            DOCUID#<token>       a document uniqueId already deposited (keyed)
 *   REC#<dmpId>            OUTBOX#<at>#<id>     a notification to send (recipient sealed), or a fan-out to
 *                                              the attending physicians, expanded into one notification each
 *   REC#<dmpId>            LOGINREF#<loginId>   pointer to a login, so destruction finds it
 *   REC#<dmpId>            TRACE#<at>#<id>      an access trace (append-only, ids only)
 *   REC#<dmpId>            RETAIN               a closed record's destruction date (retention queue)
 *   REC#<dmpId>            CLAIMSRC#<h>         a line of the reimbursed-care history (sealed; `ttl`: date + 24 months;
 *                                              <h> a keyed hash of the insurer's sourceId; on GSI2 at CLAIMS#<dmpId>,
 *                                              CLAIM#<date>#<h>, newest first): capabilities/claims/store.ts
 *   REC#<dmpId>            CLAIMS#SETTINGS      the patient's mask of that history from professionals
 *   REC#<dmpId>            HEALTH#PROFILE       the health profile (sealed whole; `version` in clear: its ETag)
 *   REC#<dmpId>            HEALTH#WISHES        the advance directives and the trusted person (sealed whole):
 *                                              capabilities/health/store.ts; one Query reads both (sk between them)
 *   REC#<dmpId>            VACC#E#<id>          a recorded vaccination (sealed): capabilities/vaccinations/store.ts
 *   REC#<dmpId>            VACC#Q               the record's place in the vaccination reminders' queue
 *   REC#<dmpId>            VACC#R#<h>           a vaccination reminder sent (<h> a keyed hash of the due item)
 *   REC#<dmpId>            DEVICE#<deviceId>    a paired device: its credential's SHA-256 (clear, until revoked), its
 *                                              name (sealed): adapters/device-credentials.ts, capabilities/measurements
 *   REC#<dmpId>            OBS#<c>#<at>#<h>     a measurement (sealed; <c> a keyed hash of its code, <at> its instant,
 *                                              <h> a keyed hash of device, code and instant): capabilities/measurements/store.ts
 *   REC#<dmpId>            SMS#<kind>#<w>#<at>  SMS an action caused in one window (mobile codes, emergency notices): capped
 *   INS#<hmac(ins)>        INS                  one DMP per INS
 *   LOGIN#<loginId>        LOGIN                password hash of a patient or representative
 *   LOCK#<loginId>         LOCK                 attempts counted on a login id (known or not), the last one's instant
 *   SRC#<hmac(source)>     SRC                  attempts counted from one source (IPv4 address, IPv6 /64), per window
 *   CHAL#<challengeId>     CHAL                 a login's one-time SMS code (keyed hash), attempts, expiry
 *   CCODE#<hmac(code)>     CCODE                a single-use online creation code
 *   IDEM#<scope>#<key>     IDEM                 an idempotent write's first response (sealed)
 *   CLAIMBATCH#<batchId>   BATCH                a batch of the insurer's sync: its body's keyed hash, start, outcome (counts)
 *   PHARM#<finess>#<month> DMP#<dmpId>          the pharmacy's remuneration ledger
 *   SYS                    INS_INDEX_KEY        the keyed-hash secret, wrapped by KMS
 *
 * GSI1 (sparse, overloaded): CREATED#<day> → creations by day (projects `channel`);
 * OUTBOX#PENDING#<shard> → notifications still to send, by next attempt time;
 * RETAIN#<shard> → closed records by destruction date (the retention job's queue);
 * VISIBILITY#<shard> → documents hidden from the patient, by the date of their next step (notice, reveal);
 * UPLOADS#<shard> → deposits under way, by the time after which they count as abandoned;
 * VACCREMIND#<shard> → records by the day their next vaccination reminder falls due.
 */
import { createHash } from 'node:crypto';
import { S, type Item } from './attributes.ts';

export const OUTBOX_SHARDS = 8;

export const keys = {
  record: (dmpId: string) => ({ pk: `REC#${dmpId}`, sk: 'META' }),
  dataKey: (dmpId: string) => ({ pk: `REC#${dmpId}`, sk: 'KEY' }),
  authorization: (dmpId: string, professionalId: string) => ({ pk: `REC#${dmpId}`, sk: `PRO#${professionalId}` }),
  emergency: (dmpId: string, professionalId: string) => ({ pk: `REC#${dmpId}`, sk: `PRO#${professionalId}#EMERGENCY` }),
  seen: (dmpId: string, professionalId: string) => ({ pk: `REC#${dmpId}`, sk: `PRO#${professionalId}#SEEN` }),
  emergencyNotice: (dmpId: string, professionalId: string) => ({ pk: `REC#${dmpId}`, sk: `PRO#${professionalId}#NOTICE` }),
  smsBudget: (dmpId: string, kind: string, window: string, start: string) => ({ pk: `REC#${dmpId}`, sk: `SMS#${kind}#${window}#${start}` }),
  document: (dmpId: string, documentId: string) => ({ pk: `REC#${dmpId}`, sk: `DOC#${documentId}` }),
  documentChanged: (dmpId: string, documentId: string) => ({ pk: `REC#${dmpId}`, sk: `DOCCHANGED#${documentId}` }),
  chunk: (dmpId: string, documentId: string, index: number) => ({ pk: `REC#${dmpId}`, sk: `CHUNK#${documentId}#${String(index).padStart(4, '0')}` }),
  upload: (dmpId: string, documentId: string) => ({ pk: `REC#${dmpId}`, sk: `UPLOAD#${documentId}` }),
  documentUid: (dmpId: string, token: string) => ({ pk: `REC#${dmpId}`, sk: `DOCUID#${token}` }),
  loginRef: (dmpId: string, loginId: string) => ({ pk: `REC#${dmpId}`, sk: `LOGINREF#${loginId}` }),
  trace: (dmpId: string, at: string, id: string) => ({ pk: `REC#${dmpId}`, sk: `TRACE#${at}#${id}` }),
  outbox: (dmpId: string, at: string, id: string) => ({ pk: `REC#${dmpId}`, sk: `OUTBOX#${at}#${id}` }),
  retention: (dmpId: string) => ({ pk: `REC#${dmpId}`, sk: 'RETAIN' }),
  device: (dmpId: string, deviceId: string) => ({ pk: `REC#${dmpId}`, sk: `DEVICE#${deviceId}` }),
  loginLock: (loginId: string) => ({ pk: `LOCK#${loginId}`, sk: 'LOCK' }),
  source: (sourceHash: string) => ({ pk: `SRC#${sourceHash}`, sk: 'SRC' }),
  challenge: (challengeId: string) => ({ pk: `CHAL#${challengeId}`, sk: 'CHAL' }),
  insIndex: (insHash: string) => ({ pk: `INS#${insHash}`, sk: 'INS' }),
  login: (loginId: string) => ({ pk: `LOGIN#${loginId}`, sk: 'LOGIN' }),
  creationCode: (codeHash: string) => ({ pk: `CCODE#${codeHash}`, sk: 'CCODE' }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEM#${scope}#${key}`, sk: 'IDEM' }),
  ledger: (finess: string, month: string, dmpId: string) => ({ pk: `PHARM#${finess}#${month}`, sk: `DMP#${dmpId}` }),
  insIndexSecret: () => ({ pk: 'SYS', sk: 'INS_INDEX_KEY' }),
};

/** An item's key (one of `keys`) as DynamoDB attribute values: a Key, or the start of an Item. */
export const keyItem = (key: { pk: string; sk: string }): Item => ({ pk: S(key.pk), sk: S(key.sk) });

/** Spreads a sparse index's entries over a few partitions (no hot key), by record. */
export const shardOf = (dmpId: string, shards: number): number => (createHash('sha256').update(dmpId).digest()[0] ?? 0) % shards;

export const RETENTION_SHARDS = 8;
export const retentionPartition = (shard: number): string => `RETAIN#${shard}`;

/**
 * The vaccination reminders' queue (capabilities/vaccinations): one entry per record, REC#<dmpId>
 * VACC#Q, on GSI1 under VACCREMIND#<shard>, sorted by the instant its next reminder falls due. A
 * record is queued at its creation (the calendar's boosters follow from the birth date alone) and
 * whenever a vaccination is recorded; the daily job moves it to its next reminder day.
 */
export const REMINDER_SHARDS = 8;
export const reminderPartition = (shard: number): string => `VACCREMIND#${shard}`;
export const REMINDER_QUEUE_SK = 'VACC#Q';
/** The queue entry of a record, due at an instant (ISO 8601): its key and GSI1 attributes. */
export const reminderQueueItem = (dmpId: string, instant: string): Item => ({
  ...keyItem({ pk: keys.record(dmpId).pk, sk: REMINDER_QUEUE_SK }),
  gsi1pk: S(reminderPartition(shardOf(dmpId, REMINDER_SHARDS))),
  gsi1sk: S(`${instant}#${dmpId}`),
});

export const DOCUMENT_SHARDS = 8;
export const visibilityPartition = (shard: number): string => `VISIBILITY#${shard}`;
export const uploadsPartition = (shard: number): string => `UPLOADS#${shard}`;

/** An authorization item's sort key (PRO#<id>), not one of the professional's other items. */
export const isAuthorizationSk = (sk: string): boolean => /^PRO#[0-9]+$/.test(sk);

export const dmpIdOfPk = (pk: string): string => pk.slice('REC#'.length);
