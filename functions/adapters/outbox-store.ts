/**
 * The outbox: a notification is written in the same transaction as the state change that causes
 * it, with its recipient sealed under the record's key, and a dispatcher sends it later. Pending
 * messages sit in a sparse index (GSI1) sharded by record, ordered by the time of their next
 * attempt, so the dispatcher finds them with a Query, never a Scan. A message to each of many
 * recipients (the attending physicians, however many) is written as one fan-out item, which the
 * dispatcher expands into one message per recipient: the transaction that causes it stays small.
 */
import { createHash } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { seal, type DataKey } from './envelope.ts';
import { B, N, S, type Item } from './attributes.ts';
import { keys, OUTBOX_SHARDS, shardOf } from './table.ts';

export type Template =
  | 'record-created'
  | 'record-closed'
  | 'record-reactivated'
  | 'login-code'
  | 'mobile-code'
  | 'mobile-changed'
  | 'credentials-reissued'
  | 'first-access'
  | 'emergency-access'
  | 'document-pending'
  | 'emergency-access-professional';

/** `sms` to the patient's (or a representative's) mobile; `professional` through the professional messaging topic. */
export type NotificationChannel = 'sms' | 'professional';

export interface OutboxMessage {
  /** E.164 number, or a professional's id on the professional channel: sealed before it is stored. */
  to: string;
  template: Template;
  channel?: NotificationChannel;
  /** Values the text needs (a one-time code, a record id): sealed, and erased once sent. */
  params?: Record<string, string>;
}

/** Who a fan-out stands for: the record's attending physicians (valid authorization) when it was written. */
export type Audience = 'attending-physicians';

export interface FanOutMessage {
  audience: Audience;
  /** Sent to each recipient on the professional channel. */
  template: Template;
  params?: Record<string, string>;
  /** The one member of the audience not told (whose action the message reports): sealed. */
  except?: string;
}

export const outboxShard = (dmpId: string): number => shardOf(dmpId, OUTBOX_SHARDS);
export const pendingPartition = (shard: number): string => `OUTBOX#PENDING#${shard}`;

/** The SMS texts: no names, no health content; a one-time code only where it is the point. */
export const TEXTS: Record<Template, string> = {
  'record-created': 'Votre DMP (Dossier Medical Partage) a ete cree. Connectez-vous sur dmp.fr avec les identifiants qui vous ont ete remis.',
  'record-closed': 'Votre DMP a ete ferme. Il reste conserve 10 ans et peut etre reactive sur dmp.fr.',
  'record-reactivated': 'Votre DMP a ete reactive.',
  'login-code': 'DMP : votre code de connexion est {code}. Il expire dans 5 minutes. Ne le communiquez a personne.',
  'mobile-code': 'DMP : pour confirmer ce numero, saisissez le code {code}. Il expire dans 5 minutes.',
  'mobile-changed': 'DMP : le numero de mobile de votre DMP a ete modifie. Si ce n est pas vous, contactez le 3422.',
  'credentials-reissued': 'DMP : de nouveaux identifiants de connexion ont ete remis au guichet. Les precedents ne fonctionnent plus.',
  'first-access': 'DMP : un professionnel de sante a consulte votre DMP pour la premiere fois. Le detail est dans l historique des acces sur dmp.fr.',
  'emergency-access': 'DMP : votre DMP a ete consulte en urgence par un professionnel de sante. Le detail est dans l historique des acces sur dmp.fr.',
  'document-pending': 'DMP : un nouveau document a ete ajoute a votre DMP. Il vous sera presente lors d une consultation, ou visible sur dmp.fr d ici deux semaines.',
  'emergency-access-professional': 'DMP : acces en urgence ({mode}) au DMP {dmpId}, dont vous etes le medecin traitant. Detail dans l historique des acces.',
};

/** Fills a template's {names}; a name without a value is left empty. */
export const renderText = (template: Template, params: OutboxMessage['params'] = {}): string => TEXTS[template].replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');

/** A notification item: where it sits in the record's partition, what it is; `more` per kind. */
const notificationPut = (
  tableName: string,
  dmpId: string,
  template: Template,
  at: Date,
  id: string,
  more: (sk: string) => Item,
  channel: NotificationChannel = 'sms',
): TransactWriteItem => {
  const createdAt = at.toISOString();
  const { pk, sk } = keys.outbox(dmpId, createdAt, id);
  return {
    Put: {
      TableName: tableName,
      Item: { pk: S(pk), sk: S(sk), kind: S('notification'), channel: S(channel), template: S(template), createdAt: S(createdAt), ...more(sk) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
};

/** What makes an item wait in the pending index, due at `at`. */
const pending = (dmpId: string, at: Date, sk: string): Item => ({
  status: S('pending'),
  attempts: N(0),
  gsi1pk: S(pendingPartition(outboxShard(dmpId))),
  gsi1sk: S(`${at.toISOString()}#${keys.record(dmpId).pk}#${sk}`),
});

const sealedParams = (key: DataKey, sk: string, params: Record<string, string> | undefined): Item =>
  params ? { params: B(seal(key, sk, 'params', Buffer.from(JSON.stringify(params), 'utf8'))) } : {};

export const outboxPut = (tableName: string, key: DataKey, message: OutboxMessage, at: Date, id: string): TransactWriteItem =>
  notificationPut(
    tableName,
    key.dmpId,
    message.template,
    at,
    id,
    (sk) => ({
      recipient: B(seal(key, sk, 'recipient', Buffer.from(message.to, 'utf8'))),
      ...sealedParams(key, sk, message.params),
      ...pending(key.dmpId, at, sk),
    }),
    message.channel,
  );

/** One item for a message to each member of an audience, expanded by the dispatcher (see fanOutMessageId). */
export const fanOutPut = (tableName: string, key: DataKey, fanOut: FanOutMessage, at: Date, id: string): TransactWriteItem =>
  notificationPut(
    tableName,
    key.dmpId,
    fanOut.template,
    at,
    id,
    (sk) => ({
      kind: S('fan-out'),
      audience: S(fanOut.audience),
      ...(fanOut.except ? { except: B(seal(key, sk, 'except', Buffer.from(fanOut.except, 'utf8'))) } : {}),
      ...sealedParams(key, sk, fanOut.params),
      ...pending(key.dmpId, at, sk),
    }),
    'professional',
  );

/**
 * The id of a fan-out's message to one recipient: the same every time the fan-out is expanded, so
 * writing it again is refused by its condition and nobody is told twice. Shaped like an event id
 * (12 base32 characters), so the message sits in the outbox as any other.
 */
export const fanOutMessageId = (fanOutSk: string, recipient: string): string => {
  const digest = createHash('sha256').update(`${fanOutSk}\n${recipient}`).digest();
  return Array.from(digest.subarray(0, 12), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b & 31]).join('');
};

/**
 * A message sent directly (a login code, whose sending must succeed before the login does), logged
 * beside the outbox so the patient's list of notifications shows it. Nothing to send: no recipient,
 * no parameters, not in the pending index.
 */
export const sentLogPut = (tableName: string, dmpId: string, template: Template, at: Date, id: string): TransactWriteItem =>
  notificationPut(tableName, dmpId, template, at, id, () => ({ status: S('sent'), attempts: N(1), sentAt: S(at.toISOString()) }));
