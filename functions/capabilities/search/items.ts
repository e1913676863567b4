/**
 * The items a search's candidates stand for, read as they are now (an index is written after the
 * item and may lag a change of labels, a deletion or an expiry): one BatchGetItem of the page's
 * candidates, by the keys their own stores give them, in the record's partition (a line of the
 * history only for a representative: reader.ts):
 *
 *   document     DOC#<documentId>                 the documents' metadata item (documents/store.ts)
 *   claim        CLAIMSRC#<lineId>                a line of the history (claims/store.ts: the lineId is
 *                                                 the keyed hash of its sourceId its key ends with)
 *   vaccination  VACC#E#<id>                      a recorded vaccination (vaccinations/store.ts)
 *   profile      HEALTH#PROFILE                   the health profile, sealed whole (health/store.ts)
 *
 * A document whose postings carry its access facts is not read: its mark (DOCCHANGED#<documentId>,
 * keys only, written by every change of its status or labels) is looked up instead, and only a
 * marked version is read (reader.ts).
 *
 * A measured code has no item of its own: its latest value is one Query of the measurements store
 * (reader.ts). Only keys go out; every item comes back sealed, with only the attributes a decision
 * reads, and is opened by its own store.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { str, type Item } from '#adapters/attributes';
import { batchGet } from '#adapters/batch-get';
import { keyItem, keys } from '#adapters/table';
import { claimLineSk } from '../claims/store.ts';
import { DOCUMENT_STATE_ATTRIBUTES } from '../documents/store.ts';

/**
 * The attributes a candidate's decision reads, whatever its kind: a document's state (status,
 * labels, sealed facts: its title is its version's and never changes, the posting carries it), a
 * line's sealed `line` (its expiry is its date's), a vaccination's `entry`, the `profile`. Nothing
 * else of an item comes back.
 */
const CANDIDATE_ATTRIBUTES = [...DOCUMENT_STATE_ATTRIBUTES, 'line', 'entry', 'profile'];

/** The sort key of a document version's mark of a change of status or labels since its deposit (documents/store.ts). */
export const changedMarkSk = (dmpId: string, documentId: string): string => keys.documentChanged(dmpId, documentId).sk;

/** The sort key of a candidate's item, or undefined for a kind that has none (a measured code). */
export const itemSk = (dmpId: string, kind: string, id: string): string | undefined => {
  switch (kind) {
    case 'document':
      return keys.document(dmpId, id).sk;
    case 'claim':
      return claimLineSk(id);
    case 'vaccination':
      return `VACC#E#${id}`;
    case 'profile':
      return 'HEALTH#PROFILE';
    default:
      return undefined;
  }
};

export class SearchItems {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The items of the record found under these sort keys (consistent reads, the attributes a decision reads), by sort key; absent ones are not in the map. */
  async get(dmpId: string, sks: readonly string[]): Promise<Map<string, Item>> {
    const wanted = [...new Set(sks)].map((sk) => keyItem({ pk: keys.record(dmpId).pk, sk }));
    const items = await batchGet(this.db, this.table, wanted, { consistent: true, attributes: CANDIDATE_ATTRIBUTES });
    return new Map(items.map((item) => [str(item, 'sk') ?? '', item]));
  }
}
