/**
 * The patient's health profile and advance directives, in the record's partition (the ten-year
 * purge, which deletes the partition, removes them with the record):
 *
 *   REC#<dmpId>   HEALTH#PROFILE   the profile, sealed whole (`profile`); `version` in clear: the
 *                                  optimistic concurrency of its writes (the ETag), nothing else
 *   REC#<dmpId>   HEALTH#WISHES    the advance directives and the trusted person, sealed whole (`wishes`)
 *
 * Both sort keys fall between HEALTH#PROFILE and HEALTH#WISHES, so one Query reads both (the
 * emergency summary's read: summary.ts). Nothing of the content is in clear, not even when it was
 * written. The documents' metadata items (DOC#<documentId>) are read here, never written: a
 * directives' document must be a current EXPPAT_3 deposit of the record.
 */
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { B, BOOL, N, S, bin, bool, num, str, type Item } from '#adapters/attributes';
import { openFacts } from '#adapters/document-facts';
import { openJson, sealJson } from '#adapters/envelope';
import { keyItem, keys } from '#adapters/table';
import type { LabelledWrite } from '#adapters/transactions';
import type { DataKey } from '#domain/ports';
import type { HealthProfile, HealthWishes } from './rules.ts';

const PROFILE_SK = 'HEALTH#PROFILE';
const WISHES_SK = 'HEALTH#WISHES';
/** The label of the profile's conditional write: refused, the version changed since it was read. */
export const PROFILE_VERSION = 'health-profile-version';
/** The label of the check that the directives' document is still current and shown to the patient. */
export const DIRECTIVES_DOCUMENT = 'directives-document';

const profileKey = (dmpId: string) => ({ pk: keys.record(dmpId).pk, sk: PROFILE_SK });
const wishesKey = (dmpId: string) => ({ pk: keys.record(dmpId).pk, sk: WISHES_SK });

/** A profile item as read: its version (0: never written) and its sealed content. */
export interface StoredProfile {
  version: number;
  sealed?: Uint8Array | undefined;
}

/** What the policy of a directives' document needs to know of it: its type, whether it is current and shown to the patient. */
export interface DirectivesDocument {
  typeCode: string;
  current: boolean;
  shownToPatient: boolean;
}

const profileOf = (item: Item | undefined): StoredProfile => (item ? { version: num(item, 'version') ?? 0, sealed: bin(item, 'profile') } : { version: 0 });

export class HealthStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The profile's item (GetItem, consistent): version 0 and nothing sealed when it was never written. */
  async profile(dmpId: string): Promise<StoredProfile> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(profileKey(dmpId)), ConsistentRead: true }));
    return profileOf(out.Item);
  }

  /** The wishes' sealed item (GetItem, consistent), if the patient wrote them. */
  async wishes(dmpId: string): Promise<Uint8Array | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(wishesKey(dmpId)), ConsistentRead: true }));
    return out.Item ? bin(out.Item, 'wishes') : undefined;
  }

  /** Both items in one Query (the sort keys between HEALTH#PROFILE and HEALTH#WISHES, both included). */
  async both(dmpId: string): Promise<{ profile: StoredProfile; wishes: Uint8Array | undefined }> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :profile AND :wishes',
        ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':profile': S(PROFILE_SK), ':wishes': S(WISHES_SK) },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const wishes = items.find((i) => str(i, 'sk') === WISHES_SK);
    return { profile: profileOf(items.find((i) => str(i, 'sk') === PROFILE_SK)), wishes: wishes ? bin(wishes, 'wishes') : undefined };
  }

  /** The profile opened with the record's key. */
  openProfile(key: DataKey, sealed: Uint8Array): HealthProfile {
    return openJson<HealthProfile>(key, PROFILE_SK, 'profile', sealed);
  }

  openWishes(key: DataKey, sealed: Uint8Array): HealthWishes {
    return openJson<HealthWishes>(key, WISHES_SK, 'wishes', sealed);
  }

  /**
   * The profile at its next version, as one write of the change's transaction: on condition that
   * the version is still the one that was read (absent, for version 0), so that of two writers on
   * the same version one only succeeds, the other is told (412).
   */
  profileWrite(key: DataKey, profile: HealthProfile, readVersion: number): LabelledWrite {
    const k = profileKey(key.dmpId);
    return {
      label: PROFILE_VERSION,
      item: {
        Put: {
          TableName: this.table,
          Item: { ...keyItem(k), version: N(readVersion + 1), profile: B(sealJson(key, k.sk, 'profile', profile)) },
          ...(readVersion === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'version = :read', ExpressionAttributeValues: { ':read': N(readVersion) } }),
        },
      },
    };
  }

  /** The wishes, replaced whole, as one write of the change's transaction. */
  wishesWrite(key: DataKey, wishes: HealthWishes): LabelledWrite {
    const k = wishesKey(key.dmpId);
    return { label: 'health-wishes', item: { Put: { TableName: this.table, Item: { ...keyItem(k), wishes: B(sealJson(key, k.sk, 'wishes', wishes)) } } } };
  }

  /**
   * A document of the record as the directives may name it (read-only: the documents capability
   * owns these items): its type, from its sealed facts, and whether it is current and shown to the
   * patient. Undefined when there is no such document.
   */
  async document(key: DataKey, documentId: string): Promise<DirectivesDocument | undefined> {
    const k = keys.document(key.dmpId, documentId);
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: keyItem(k),
        ConsistentRead: true,
        ProjectionExpression: 'facts, #status, invisibleToPatient',
        ExpressionAttributeNames: { '#status': 'status' },
      }),
    );
    const item = out.Item;
    const facts = item ? bin(item, 'facts') : undefined;
    if (!item || !facts) return undefined;
    return {
      typeCode: openFacts(key, k.sk, facts).typeCode,
      current: str(item, 'status') === 'current',
      // A missing label hides (as the care team reads deposits): shown only when the item says so.
      shownToPatient: bool(item, 'invisibleToPatient') === false,
    };
  }

  /** The directives' document still current and shown to the patient when the wishes are written (a check of the same transaction). */
  documentCheck(dmpId: string, documentId: string): LabelledWrite {
    return {
      label: DIRECTIVES_DOCUMENT,
      item: {
        ConditionCheck: {
          TableName: this.table,
          Key: keyItem(keys.document(dmpId, documentId)),
          ConditionExpression: '#status = :current AND invisibleToPatient = :false',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':current': S('current'), ':false': BOOL(false) },
        },
      },
    };
  }
}
