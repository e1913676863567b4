/**
 * The keyword index of a record, blind: it lives on the record's own partition, and neither its keys
 * nor its clear attributes hold a word, an id or a count of words across records.
 *
 *   REC#<dmpId>  IDX#<token>#<source>#<n>  a posting: one word in field n of one source (sealed: kind,
 *                                          id, date, title, field, positions)
 *   REC#<dmpId>  IDXSRC#<source>           a source's manifest (sealed: kind, id, the version
 *                                          indexed, its postings, whether its text could be read)
 *
 * <token> is a keyed hash (HMAC-SHA256, 128 bits, base64url) of a normalised word
 * (domain/search/words.ts) under a key derived with HKDF from the record's own data key (info
 * dmp/search-index/v1): equal words in two records give unrelated tokens, and the key goes with the
 * record's data key (shredded at destruction). <source> is a keyed hash of the source's kind and id
 * under the same key, not the id itself: a measurement's id is its code, a code of care. A word is
 * found with one Query on IDX#<token>#; a source is re-indexed or removed through its manifest, which
 * names exactly the postings it wrote.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { BatchWriteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, DeleteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Manifest, SearchIndexStore, SourceRef } from '#domain/jobs/search-index';
import type { DataKey, KeyRing } from '#domain/ports';
import type { IndexedWord, Posting, SearchKind } from '#domain/search/postings';
import { B, S, bin, num, required, str, type Item } from './attributes.ts';
import { openJson, sealJson } from './envelope.ts';
import { keyItem, keys } from './table.ts';

export type { Posting, SearchKind } from '#domain/search/postings';

const POSTING_ATTRIBUTE = 'p';
const MANIFEST_ATTRIBUTE = 'm';
const HKDF_INFO = 'dmp/search-index/v1';
/** BatchWriteItem's limit. */
const BATCH = 25;

export const indexKeys = {
  posting: (dmpId: string, entry: string, source: string) => ({ pk: keys.record(dmpId).pk, sk: `IDX#${entry.split('#')[0]}#${source}#${entry.split('#')[1]}` }),
  word: (dmpId: string, token: string) => ({ pk: keys.record(dmpId).pk, sk: `IDX#${token}#` }),
  manifest: (dmpId: string, source: string) => ({ pk: keys.record(dmpId).pk, sk: `IDXSRC#${source}` }),
};

/** The per-record index key: HKDF of the record's data key; derived, never stored. */
const indexKeyOf = (key: DataKey): Buffer => Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), HKDF_INFO, 32));

const mac = (indexKey: Buffer, value: string): string => createHmac('sha256', indexKey).update(value, 'utf8').digest().subarray(0, 16).toString('base64url');

/** A record's tokens and source hashes, under its own index key. */
export class RecordIndexKey {
  private readonly indexKey: Buffer;
  readonly key: DataKey;
  constructor(key: DataKey) {
    this.key = key;
    this.indexKey = indexKeyOf(key);
  }
  /** The token of a normalised word. */
  token(word: string): string {
    return mac(this.indexKey, `w|${word}`);
  }
  /** The hash naming a source (its kind and id). */
  source(kind: SearchKind, id: string): string {
    return mac(this.indexKey, `s|${kind}|${id}`);
  }
}

/**
 * The index's items of the records. The change a source item went through is read by the job's
 * own reader (functions/jobs/search-sources.ts): this class knows only the index's items.
 */
export class SearchIndex implements Omit<SearchIndexStore<RecordIndexKey>, 'changed'> {
  private readonly db: DynamoDBClient;
  private readonly tableName: string;
  private readonly keyRing: KeyRing;
  constructor(db: DynamoDBClient, tableName: string, keyRing: KeyRing) {
    this.db = db;
    this.tableName = tableName;
    this.keyRing = keyRing;
  }

  /** The record's index key, or undefined when the record (its data key) is gone. */
  async recordKey(dmpId: string): Promise<RecordIndexKey | undefined> {
    const item = (await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: keyItem(keys.dataKey(dmpId)) }))).Item;
    if (!item) return undefined;
    const key = await this.keyRing.unwrap(dmpId, {
      ciphertext: required(bin(item, 'wrapped'), 'wrapped'),
      masterKeyId: required(str(item, 'masterKeyId'), 'masterKeyId'),
      version: required(num(item, 'version'), 'version'),
    });
    return new RecordIndexKey(key);
  }

  /** Every posting of one normalised word in one record (all pages of the Query), opened. */
  async postings(dmpId: string, word: string): Promise<Posting[]> {
    const key = await this.recordKey(dmpId);
    if (!key) return [];
    return this.postingsOf(key, word);
  }

  /** The same, with the record's index key already at hand (several words of one query). */
  async postingsOf(key: RecordIndexKey, word: string): Promise<Posting[]> {
    const dmpId = key.key.dmpId;
    const prefix = indexKeys.word(dmpId, key.token(word));
    const out: Posting[] = [];
    let start: Item | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': S(prefix.pk), ':prefix': S(prefix.sk) },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const sk = required(str(item, 'sk'), 'sk');
        out.push(openJson<Posting>(key.key, sk, POSTING_ATTRIBUTE, required(bin(item, POSTING_ATTRIBUTE), POSTING_ATTRIBUTE)));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** A source's manifest, opened; undefined when it was never indexed (or was removed). */
  async manifest(key: RecordIndexKey, ref: SourceRef): Promise<Manifest | undefined> {
    const k = indexKeys.manifest(key.key.dmpId, key.source(ref.kind, ref.id));
    const item = (await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: keyItem(k), ConsistentRead: true }))).Item;
    const sealed = item && bin(item, MANIFEST_ATTRIBUTE);
    return sealed && openJson<Manifest>(key.key, k.sk, MANIFEST_ATTRIBUTE, sealed);
  }

  /**
   * Replaces a source's postings by these (one per word and field), then its manifest: the postings
   * it no longer has are deleted, the others overwritten in place (same keys). The manifest goes
   * last, so a run cut short is done again whole by the next one (every write is idempotent).
   * Returns the number of items written and deleted.
   */
  async replace(
    key: RecordIndexKey,
    previous: Manifest | undefined,
    manifest: Omit<Manifest, 'postings'>,
    postings: readonly IndexedWord[],
  ): Promise<{ written: number; deleted: number }> {
    const dmpId = key.key.dmpId;
    const source = key.source(manifest.kind, manifest.id);
    const entries = new Map(postings.map((p) => [`${key.token(p.word)}#${p.fieldIndex}`, p.posting]));
    const puts: WriteRequest[] = [...entries].map(([entry, posting]) => {
      const k = indexKeys.posting(dmpId, entry, source);
      return { PutRequest: { Item: { ...keyItem(k), [POSTING_ATTRIBUTE]: B(sealJson(key.key, k.sk, POSTING_ATTRIBUTE, posting)) } } };
    });
    const stale = (previous?.postings ?? []).filter((e) => !entries.has(e));
    const deletes: WriteRequest[] = stale.map((entry) => ({ DeleteRequest: { Key: keyItem(indexKeys.posting(dmpId, entry, source)) } }));
    await this.batchWrite([...puts, ...deletes]);
    const m = indexKeys.manifest(dmpId, source);
    const sealed: Manifest = { ...manifest, postings: [...entries.keys()] };
    await this.db.send(new PutItemCommand({ TableName: this.tableName, Item: { ...keyItem(m), [MANIFEST_ATTRIBUTE]: B(sealJson(key.key, m.sk, MANIFEST_ATTRIBUTE, sealed)) } }));
    return { written: puts.length + 1, deleted: deletes.length };
  }

  /** Removes a source from the index: its postings, then its manifest. */
  async remove(key: RecordIndexKey, previous: Manifest): Promise<number> {
    const dmpId = key.key.dmpId;
    const source = key.source(previous.kind, previous.id);
    await this.batchWrite(previous.postings.map((entry) => ({ DeleteRequest: { Key: keyItem(indexKeys.posting(dmpId, entry, source)) } })));
    await this.db.send(new DeleteItemCommand({ TableName: this.tableName, Key: keyItem(indexKeys.manifest(dmpId, source)) }));
    return previous.postings.length + 1;
  }

  /** 25 requests per call, unprocessed ones sent again (with a short back-off). */
  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH) {
      let pending: WriteRequest[] = requests.slice(i, i + BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = out.UnprocessedItems?.[this.tableName] ?? [];
        if (attempt > 8 && pending.length > 0) throw new Error('index writes left unprocessed');
      }
    }
  }
}
