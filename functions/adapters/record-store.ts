/**
 * The records' persistence: creation as one transaction holding every invariant, and the reads
 * the record capabilities need. Identity, contact and representatives are sealed with the record's
 * data key before they leave this module; nothing here holds an INS, a name or a phone number in
 * clear.
 */
import { GSI1 } from './storage-contract.ts';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type QueryCommandInput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { Channel, IssuedCreationCode } from '#domain/creation';
import type { SessionEnds } from '#domain/login';
import { B, BOOL, N, S, bin, bool, num, required, str, epochSeconds, type Item } from './attributes.ts';
import { sealJson } from './envelope.ts';
import type { DataKey, WrappedKey } from '#domain/ports';
import { newLoginPuts } from './login-store.ts';
import { outboxPut } from './outbox-store.ts';
import { tracePut } from './trace-store.ts';
import type { CreationReports } from '#domain/ports';
import type { Records, SettingsChange } from '#domain/stores';
import type { Authorization, NewRecord, NotificationView, StoredRecord } from '#domain/records';
import { readItem } from './batch-get.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { isAuthorizationSk, keyItem, keys, RETENTION_SHARDS, reminderQueueItem, retentionPartition, shardOf } from './table.ts';
import { labelled, transact, type LabelledWrite } from './transactions.ts';

const OUTBOX_SK = /^OUTBOX#[0-9T:.Z-]{24}#[a-z2-7]{12}$/;

const META = 'META';

export class RecordStore implements Records, CreationReports {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /**
   * Everything a creation writes, in one transaction: the record, its wrapped key, the INS index
   * entry (one DMP per INS), logins, the creator's authorization, the creation code's use, the
   * pharmacy ledger entry and the notifications. Any refused condition cancels all of it.
   */
  async create(key: DataKey, wrapped: WrappedKey, r: NewRecord): Promise<void> {
    const t = this.table;
    const createdAt = r.createdAt.toISOString();
    const day = createdAt.slice(0, 10);
    const rec = keys.record(r.dmpId);
    const notExists = 'attribute_not_exists(pk)';
    const writes: { label: string; item: TransactWriteItem }[] = [
      {
        label: 'record',
        item: {
          Put: {
            TableName: t,
            ConditionExpression: notExists,
            Item: {
              ...keyItem(rec),
              dmpId: S(r.dmpId),
              status: S('active'),
              channel: S(r.channel),
              createdAt: S(createdAt),
              createdBy: S(r.createdBy),
              consentInformedAt: S(r.consentInformedAt.toISOString()),
              minor: BOOL(r.minor),
              breakGlass: BOOL(r.emergencyAccess.breakGlass),
              regulation: BOOL(r.emergencyAccess.regulation),
              keyVersion: N(wrapped.version),
              identity: B(sealJson(key, META, 'identity', r.identity)),
              contact: B(sealJson(key, META, 'contact', r.contact)),
              representatives: B(sealJson(key, META, 'representatives', r.representatives)),
              // Keyed hash (not the INS): lets destruction free the INS index entry.
              insHash: S(r.insHash),
              gsi1pk: S(`CREATED#${day}`),
              gsi1sk: S(`${createdAt}#${r.dmpId}`),
              revision: N(1),
            },
          },
        },
      },
      {
        label: 'key',
        item: {
          Put: {
            TableName: t,
            ConditionExpression: notExists,
            Item: {
              ...keyItem(keys.dataKey(r.dmpId)),
              wrapped: B(wrapped.ciphertext),
              masterKeyId: S(wrapped.masterKeyId),
              version: N(wrapped.version),
            },
          },
        },
      },
      {
        label: 'ins',
        item: {
          Put: {
            TableName: t,
            ConditionExpression: notExists,
            Item: { ...keyItem(keys.insIndex(r.insHash)), dmpId: S(r.dmpId), createdAt: S(createdAt) },
          },
        },
      },
    ];
    for (const login of r.logins) writes.push(...newLoginPuts(t, r.dmpId, login, r.createdAt));
    if (r.authorizedProfessional) {
      writes.push({
        label: 'authorization',
        item: {
          Put: {
            TableName: t,
            Item: {
              ...keyItem(keys.authorization(r.dmpId, r.authorizedProfessional)),
              professionalId: S(r.authorizedProfessional),
              status: S('authorized'),
              // The creator is authorised, not the attending physician: that is the patient's choice.
              attendingPhysician: BOOL(false),
              since: S(createdAt),
              source: S('creation'),
            },
          },
        },
      });
    }
    if (r.ledger) {
      writes.push({
        label: 'ledger',
        item: {
          Put: {
            TableName: t,
            ConditionExpression: notExists,
            Item: {
              ...keyItem(keys.ledger(r.ledger.finess, r.ledger.month, r.dmpId)),
              dmpId: S(r.dmpId),
              createdAt: S(createdAt),
              amountCents: N(100),
            },
          },
        },
      });
    }
    if (r.creationCode) {
      writes.push({
        label: 'creation-code',
        item: {
          Update: {
            TableName: t,
            Key: keyItem(keys.creationCode(r.creationCode.hash)),
            UpdateExpression: 'SET usedAt = :now, usedBy = :dmpId',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt) AND insHash = :insHash AND expiresAt > :now',
            ExpressionAttributeValues: { ':now': S(createdAt), ':dmpId': S(r.dmpId), ':insHash': S(r.creationCode.insHash) },
          },
        },
      });
    }
    writes.push({ label: 'trace', item: tracePut(t, r.dmpId, r.trace.trace, r.createdAt, r.trace.id) });
    // Queued for the vaccination reminders from the start: the calendar's boosters are due by age
    // alone, recorded vaccinations or not (the daily job moves the entry to its next reminder day).
    writes.push({ label: 'reminder-queue', item: { Put: { TableName: t, Item: reminderQueueItem(r.dmpId, createdAt) } } });
    for (const n of r.notifications) {
      writes.push({ label: 'notification', item: outboxPut(t, key, n.message, r.createdAt, n.id) });
    }
    writes.push(...(r.extra ?? []).map(labelled));
    await transact(this.db, writes);
  }

  async dmpIdByInsHash(insHash: string): Promise<string | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(keys.insIndex(insHash)) }));
    return out.Item ? str(out.Item, 'dmpId') : undefined;
  }

  /** META and KEY of a record, read consistently by their keys (with any other read asked at the same time: readItem). */
  async load(dmpId: string): Promise<StoredRecord | undefined> {
    const [meta, key] = await Promise.all([readItem(this.db, this.table, keyItem(keys.record(dmpId))), readItem(this.db, this.table, keyItem(keys.dataKey(dmpId)))]);
    if (!meta || !key) return undefined;
    return toStoredRecord(meta, key);
  }

  async authorizations(dmpId: string): Promise<Authorization[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pro)',
      ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':pro': S('PRO#') },
    });
    return items.filter((i) => isAuthorizationSk(i.sk?.S ?? '')).map(toAuthorization);
  }

  async putCreationCode(hash: string, insHash: string, createdAt: Date, expiresAt: Date, createdBy: string): Promise<void> {
    await transact(this.db, [
      {
        label: 'creation-code',
        item: {
          Put: {
            TableName: this.table,
            ConditionExpression: 'attribute_not_exists(pk)',
            Item: {
              ...keyItem(keys.creationCode(hash)),
              insHash: S(insHash),
              createdAt: S(createdAt.toISOString()),
              createdBy: S(createdBy),
              expiresAt: S(expiresAt.toISOString()),
              ttl: N(epochSeconds(expiresAt) + 86_400),
            },
          },
        },
      },
    ]);
  }

  /** A creation code by its keyed hash, read consistently (a code just used reads as used). */
  async creationCode(hash: string): Promise<IssuedCreationCode | undefined> {
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: keyItem(keys.creationCode(hash)),
        ConsistentRead: true,
        ProjectionExpression: 'insHash, expiresAt, usedAt',
      }),
    );
    if (!out.Item) return undefined;
    return { insHash: required(str(out.Item, 'insHash'), 'insHash'), expiresAt: required(str(out.Item, 'expiresAt'), 'expiresAt'), usedAt: str(out.Item, 'usedAt') };
  }

  async ledger(finess: string, month: string): Promise<{ dmpId: string; createdAt: string; amountCents: number }[]> {
    const items = await this.queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': S(`PHARM#${finess}#${month}`) },
    });
    return items.map((i) => ({
      dmpId: required(str(i, 'dmpId'), 'dmpId'),
      createdAt: required(str(i, 'createdAt'), 'createdAt'),
      amountCents: required(num(i, 'amountCents'), 'amountCents'),
    }));
  }

  /** Channels of the DMPs created on one day, from the sparse creations index. */
  async creationsOn(day: string): Promise<Channel[]> {
    const items = await this.queryAll({
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :day',
      ExpressionAttributeValues: { ':day': S(`CREATED#${day}`) },
      ProjectionExpression: 'channel',
    });
    return items.map((i) => required(str(i, 'channel'), 'channel') as Channel);
  }

  // ── Lifecycle and settings: parts of one transaction each (see transactions.ts) ──────────────

  /** Closure: read-only from now, destroyed at `retainUntil` (the RETAIN item queues it). */
  closeWrites(dmpId: string, closedAt: Date, retainUntil: Date): LabelledWrite[] {
    const t = this.table;
    return [
      this.statusChange(dmpId, 'active', 'closed', {
        set: ['closedAt = :at', 'retainUntil = :until', `${SESSIONS_CLOSED_AT} = :ms`],
        values: { ':at': S(closedAt.toISOString()), ':until': S(retainUntil.toISOString()), ':ms': N(closedAt.getTime()) },
      }),
      {
        label: 'retention',
        item: {
          Put: {
            TableName: t,
            Item: {
              ...keyItem(keys.retention(dmpId)),
              retainUntil: S(retainUntil.toISOString()),
              gsi1pk: S(retentionPartition(shardOf(dmpId, RETENTION_SHARDS))),
              gsi1sk: S(`${retainUntil.toISOString()}#${dmpId}`),
            },
          },
        },
      },
    ];
  }

  /** Reactivation: only a closed record whose key still exists (not being destroyed). */
  reactivateWrites(dmpId: string): LabelledWrite[] {
    const t = this.table;
    return [
      this.statusChange(dmpId, 'closed', 'active', { remove: ['closedAt', 'retainUntil'] }),
      { label: 'key', item: { ConditionCheck: { TableName: t, Key: keyItem(keys.dataKey(dmpId)), ConditionExpression: 'attribute_exists(pk)' } } },
      { label: 'retention', item: { Delete: { TableName: t, Key: keyItem(keys.retention(dmpId)) } } },
    ];
  }

  /**
   * A condition of an action's transaction: the record is still active (a closure, or a
   * destruction, that landed first refuses the action). Its settings may have changed meanwhile.
   */
  activeCheck(dmpId: string): LabelledWrite {
    return {
      label: 'record-active',
      item: {
        ConditionCheck: {
          TableName: this.table,
          Key: keyItem(keys.record(dmpId)),
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': S('active') },
        },
      },
    };
  }

  /** The record moves from one status to another (and only from it), with more changes. */
  private statusChange(dmpId: string, from: string, to: string, more: { set?: string[]; remove?: string[]; values?: Item } = {}): LabelledWrite {
    return this.recordUpdate(dmpId, {
      set: ['#status = :to', 'revision = revision + :one', ...(more.set ?? [])],
      remove: more.remove,
      condition: '#status = :from',
      values: { ':from': S(from), ':to': S(to), ':one': N(1), ...more.values },
    });
  }

  /** An update of the record's META item, under a condition (every change of a record has one). */
  private recordUpdate(dmpId: string, u: { set: string[]; remove?: string[] | undefined; condition: string; values: Item; names?: Record<string, string> }): LabelledWrite {
    const remove = u.remove ?? [];
    const expression = `SET ${u.set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
    return {
      label: 'record',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.record(dmpId)),
          UpdateExpression: expression,
          ConditionExpression: u.condition,
          // DynamoDB refuses a name the expressions do not use.
          ...(`${expression} ${u.condition}`.includes('#status') || u.names
            ? { ExpressionAttributeNames: { ...(`${expression} ${u.condition}`.includes('#status') ? { '#status': 'status' } : {}), ...u.names } }
            : {}),
          ExpressionAttributeValues: u.values,
        },
      },
    };
  }

  /**
   * A professional holding the person's consent, given in person. It never names nor unnames an
   * attending physician: that is the patient's choice (AccessStore.decisionWrite), kept as it is,
   * and false where there was none.
   */
  authorizationWrite(dmpId: string, professionalId: string, now: Date, source: 'creation' | 'reactivation' | 'consultation'): LabelledWrite {
    return {
      label: 'authorization',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.authorization(dmpId, professionalId)),
          // Renews an expired authorization, keeps what the patient set (attending physician).
          UpdateExpression: `SET professionalId = :pro, #status = :authorized, attendingPhysician = if_not_exists(attendingPhysician, :false), since = if_not_exists(since, :now), #source = if_not_exists(#source, :source) REMOVE expiresAt`,
          // Never over a block: the patient's decision stands.
          ConditionExpression: 'attribute_not_exists(pk) OR #status <> :blocked',
          ExpressionAttributeNames: { '#status': 'status', '#source': 'source' },
          ExpressionAttributeValues: {
            ':pro': S(professionalId),
            ':authorized': S('authorized'),
            ':blocked': S('blocked'),
            ':false': BOOL(false),
            ':now': S(now.toISOString()),
            ':source': S(source),
          },
        },
      },
    };
  }

  /**
   * The desk reissued the credentials of an adult: the record is no longer a minor's, and every
   * session opened before (with the logins the reissue replaces) ends.
   */
  reissueWrite(dmpId: string, now: Date): LabelledWrite {
    return this.recordUpdate(dmpId, {
      set: ['minor = :false', `${SESSIONS_REISSUED_AT} = :ms`],
      condition: 'attribute_exists(pk)',
      values: { ':false': BOOL(false), ':ms': N(now.getTime()) },
    });
  }

  /** A login's password changed: every session of that login opened before ends. */
  passwordChangedWrite(dmpId: string, loginId: string, now: Date): LabelledWrite {
    return this.recordUpdate(dmpId, {
      set: ['#changed = :ms'],
      condition: 'attribute_exists(pk)',
      values: { ':ms': N(now.getTime()) },
      names: { '#changed': `${PASSWORD_CHANGED_AT}${loginId}` },
    });
  }

  /**
   * A change of settings, on the revision that was read (a concurrent change makes it fail, and
   * the client retries on fresh data). `pendingMobile: null` drops a pending change.
   */
  settingsWrite(dmpId: string, revision: number, change: SettingsChange): LabelledWrite {
    const set = ['revision = revision + :one'];
    const remove: string[] = [];
    const values: Item = { ':one': N(1), ':revision': N(revision), ':active': S('active') };
    if (change.emergencyAccess) {
      set.push('breakGlass = :bg', 'regulation = :reg');
      values[':bg'] = BOOL(change.emergencyAccess.breakGlass);
      values[':reg'] = BOOL(change.emergencyAccess.regulation);
    }
    if (change.vaccinationReminders !== undefined) {
      set.push('vaccinationReminders = :vr');
      values[':vr'] = BOOL(change.vaccinationReminders);
    }
    if (change.contact) {
      set.push('contact = :contact');
      values[':contact'] = B(change.contact);
    }
    if (change.pendingMobile) {
      set.push('pendingMobile = :pm', 'pendingMobileId = :pmid', 'pendingMobileCodeHash = :pmh', 'pendingMobileExpiresAt = :pme', 'pendingMobileAttempts = :zero');
      values[':pm'] = B(change.pendingMobile.sealed);
      values[':pmid'] = S(change.pendingMobile.id);
      values[':pmh'] = S(change.pendingMobile.codeHash);
      values[':pme'] = S(change.pendingMobile.expiresAt.toISOString());
      values[':zero'] = N(0);
    } else if (change.pendingMobile === null) {
      remove.push('pendingMobile', 'pendingMobileId', 'pendingMobileCodeHash', 'pendingMobileExpiresAt', 'pendingMobileAttempts');
    }
    return this.recordUpdate(dmpId, { set, remove, condition: 'revision = :revision AND #status = :active', values });
  }

  /**
   * Counts an attempt at the pending mobile's code before it is compared; false once the code
   * expired, was replaced, or used up its attempts.
   */
  async attemptPendingMobile(dmpId: string, pendingId: string, maxAttempts: number, now: Date): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(keys.record(dmpId)),
          UpdateExpression: 'ADD pendingMobileAttempts :one',
          ConditionExpression: 'pendingMobileId = :id AND pendingMobileAttempts < :max AND pendingMobileExpiresAt > :now',
          ExpressionAttributeValues: { ':one': N(1), ':id': S(pendingId), ':max': N(maxAttempts), ':now': S(now.toISOString()) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The record's notifications, newest first, one page. */
  /** One page of what was sent to the patient (not to attending physicians about the record), newest first. */
  async notifications(dmpId: string, limit: number, cursor: string | undefined): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    const pk = keys.record(dmpId).pk;
    const afterSk = cursor === undefined ? undefined : decodeCursor(cursor, OUTBOX_SK);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
        FilterExpression: 'channel = :sms',
        ExpressionAttributeValues: { ':pk': S(pk), ':outbox': S('OUTBOX#'), ':sms': S('sms') },
        ProjectionExpression: 'sk, createdAt, channel, template, #status, sentAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ScanIndexForward: false,
        Limit: limit,
        ...(afterSk ? { ExclusiveStartKey: { pk: S(pk), sk: S(afterSk) } } : {}),
      }),
    );
    const items = (out.Items ?? []).map((i): NotificationView => {
      const sk = str(i, 'sk') ?? '';
      const sentAt = str(i, 'sentAt');
      return {
        id: sk.slice(sk.lastIndexOf('#') + 1),
        at: str(i, 'createdAt') ?? '',
        reason: str(i, 'template') ?? '',
        status: (str(i, 'status') ?? 'pending') as NotificationView['status'],
        ...(sentAt ? { sentAt } : {}),
      };
    });
    const nextSk = out.LastEvaluatedKey?.sk?.S;
    return { items, nextCursor: nextSk ? encodeCursor(nextSk) : null };
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(new QueryCommand({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** META attributes of the sessions' ends (instants in ms); one password attribute per login id. */
const SESSIONS_REISSUED_AT = 'sessionsReissuedAt';
const SESSIONS_CLOSED_AT = 'sessionsClosedAt';
const PASSWORD_CHANGED_AT = 'sessionsPasswordChangedAt#';

const sessionEndsOf = (meta: Item): SessionEnds => {
  const passwordChangedAt: Record<string, number> = {};
  for (const name of Object.keys(meta)) {
    if (!name.startsWith(PASSWORD_CHANGED_AT)) continue;
    const at = num(meta, name);
    if (at !== undefined) passwordChangedAt[name.slice(PASSWORD_CHANGED_AT.length)] = at;
  }
  return { credentialsReissuedAt: num(meta, SESSIONS_REISSUED_AT), closedAt: num(meta, SESSIONS_CLOSED_AT), passwordChangedAt };
};

/** A record's wrapped data key, from its KEY item (the claims core reads it for many records at once). */
export const wrappedKeyOf = (key: Item): WrappedKey => ({
  ciphertext: required(bin(key, 'wrapped'), 'wrapped key'),
  masterKeyId: required(str(key, 'masterKeyId'), 'masterKeyId'),
  version: required(num(key, 'version'), 'key version'),
});

const toStoredRecord = (meta: Item, key: Item): StoredRecord => ({
  dmpId: required(str(meta, 'dmpId'), 'dmpId'),
  status: required(str(meta, 'status'), 'status') as StoredRecord['status'],
  revision: num(meta, 'revision') ?? 1,
  insHash: str(meta, 'insHash'),
  pendingMobile: bin(meta, 'pendingMobile')
    ? {
        id: required(str(meta, 'pendingMobileId'), 'pendingMobileId'),
        sealed: required(bin(meta, 'pendingMobile'), 'pendingMobile'),
        codeHash: required(str(meta, 'pendingMobileCodeHash'), 'pendingMobileCodeHash'),
        expiresAt: required(str(meta, 'pendingMobileExpiresAt'), 'pendingMobileExpiresAt'),
        attempts: num(meta, 'pendingMobileAttempts') ?? 0,
      }
    : undefined,
  channel: required(str(meta, 'channel'), 'channel') as Channel,
  createdAt: required(str(meta, 'createdAt'), 'createdAt'),
  createdBy: required(str(meta, 'createdBy'), 'createdBy'),
  closedAt: str(meta, 'closedAt'),
  retainUntil: str(meta, 'retainUntil'),
  minor: bool(meta, 'minor') ?? false,
  emergencyAccess: { breakGlass: bool(meta, 'breakGlass') ?? true, regulation: bool(meta, 'regulation') ?? true },
  vaccinationReminders: bool(meta, 'vaccinationReminders'),
  sessionEnds: sessionEndsOf(meta),
  wrappedKey: wrappedKeyOf(key),
  sealed: {
    identity: required(bin(meta, 'identity'), 'identity'),
    contact: required(bin(meta, 'contact'), 'contact'),
    representatives: required(bin(meta, 'representatives'), 'representatives'),
  },
});

const toAuthorization = (i: Item): Authorization => ({
  professionalId: required(str(i, 'professionalId'), 'professionalId'),
  status: required(str(i, 'status'), 'status') as Authorization['status'],
  attendingPhysician: bool(i, 'attendingPhysician') ?? false,
  since: required(str(i, 'since'), 'since'),
  expiresAt: str(i, 'expiresAt'),
});
