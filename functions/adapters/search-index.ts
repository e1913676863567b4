/**
 * The keyword index of a record, blind: it lives on the record's own partition, and neither its keys
 * nor its clear attributes hold a word, an id or a count of words across records.
 *
 *   REC#<dmpId>  IDX#<token>#<b>    a word's list, bucket b (0‥7): the postings of that word in the
 *                                   sources whose hash falls in bucket b (sealed: for each source and
 *                                   field, kind, id, date, title, field, positions); `v` its version
 *   REC#<dmpId>  IDXSRC#<source>    a source's manifest (sealed: kind, id, the version indexed, the
 *                                   words and fields it put in lists, whether its text could be read)
 *
 * <token> is a keyed hash (HMAC-SHA256, 128 bits, base64url) of a normalised word
 * (domain/search/words.ts) under a key derived with HKDF from the record's own data key (info
 * dmp/search-index/v1): equal words in two records give unrelated tokens, and the key goes with the
 * record's data key (shredded at destruction). <source> is a keyed hash of the source's kind and id
 * under the same key, not the id itself: a measurement's id is its code, a code of care.
 *
 * Why lists under known keys rather than one item per posting found by a Query: a search reads the
 * lists of all its words in one BatchGetItem (8 keys a word), whose cost depends on what the words'
 * lists hold and not on what else the partition holds, and needs no paging of a common word. The
 * lists are split in 8 buckets by source so that an update rewrites an eighth of a common word's
 * list. The job reads a source's lists in BatchGetItems and writes each list (PutItem, DeleteItem)
 * on condition of the version it read: two sources of one record indexed at once never lose each
 * other's postings (the loser reads that list again and applies its change again). Single-item
 * writes rather than transactions: a conflict retries one list, and a write costs its size once.
 * Every change is "remove this source's entries, then add its new ones": replayed, it writes the same.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Manifest, SearchIndexStore, SourceRef } from '#domain/jobs/search-index';
import type { DataKey, KeyRing } from '#domain/ports';
import type { IndexedWord, Posting, SearchKind } from '#domain/search/postings';
import { B, N, bin, num, required, str, type Item } from './attributes.ts';
import { batchGet, readItem } from './batch-get.ts';
import { openJson, sealJson } from './envelope.ts';
import { keyItem, keys } from './table.ts';
import { inPool } from './pool.ts';

export type { Posting, SearchKind } from '#domain/search/postings';

const LIST_ATTRIBUTE = 'l';
const MANIFEST_ATTRIBUTE = 'm';
const HKDF_INFO = 'dmp/search-index/v1';
/** Buckets of a word's list: a search reads 8 keys a word, an update rewrites one bucket. */
export const BUCKETS = 8;
/**
 * A list's sealed size at most (DynamoDB's item limit is 400 KB): a source whose entry would pass
 * it is left out of that word's list, and its manifest says its index is incomplete.
 */
const MAX_LIST_BYTES = 300_000;
/** Lists written at once by one source's update. */
const LIST_WRITES_AT_ONCE = 16;
/** Rounds of read-and-write a list update gives a concurrent writer before failing (the stream retries). */
const MAX_ROUNDS = 8;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A list's entries: `<source>#<fieldIndex>` → the posting of that word in that field of that source. */
type List = Record<string, Posting>;

/** The bucket of a source's hash: its first character (uniform over base64url's 64). */
const bucketOf = (source: string): number => BASE64URL.indexOf(source[0] ?? 'A') % BUCKETS;

export const indexKeys = {
  list: (dmpId: string, token: string, bucket: number) => ({ pk: keys.record(dmpId).pk, sk: `IDX#${token}#${bucket}` }),
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

  /** Every posting of one normalised word in one record, opened. */
  async postings(dmpId: string, word: string): Promise<Posting[]> {
    const key = await this.recordKey(dmpId);
    if (!key) return [];
    return (await this.postingsOfWords(key, [word])).get(word) ?? [];
  }

  /**
   * The postings of each of these words, with the record's index key at hand: every bucket of
   * every word read by readItem, so that they go out in one BatchGetItem, and in the same one as
   * the record's own reads when they are asked for at the same time (search/reader.ts).
   */
  async postingsOfWords(key: RecordIndexKey, words: readonly string[]): Promise<Map<string, Posting[]>> {
    const dmpId = key.key.dmpId;
    const wanted = new Map<string, string>();
    for (const word of new Set(words)) for (let b = 0; b < BUCKETS; b++) wanted.set(indexKeys.list(dmpId, key.token(word), b).sk, word);
    const items = await Promise.all([...wanted.keys()].map((sk) => readItem(this.db, this.tableName, keyItem({ pk: keys.record(dmpId).pk, sk }))));
    const out = new Map<string, Posting[]>(words.map((w) => [w, []]));
    for (const item of items) {
      if (!item) continue;
      const sk = required(str(item, 'sk'), 'sk');
      const word = wanted.get(sk);
      const sealed = bin(item, LIST_ATTRIBUTE);
      if (word === undefined || !sealed) continue;
      out.get(word)?.push(...Object.values(openJson<List>(key.key, sk, LIST_ATTRIBUTE, sealed)));
    }
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
   * Replaces a source's postings by these (one per word and field): the source's entries leave the
   * lists of the words it had, then enter the lists of the words it has; the manifest goes last, so
   * a run cut short is done again whole by the next one. Returns the lists written and deleted.
   */
  async replace(
    key: RecordIndexKey,
    previous: Manifest | undefined,
    manifest: Omit<Manifest, 'postings'>,
    postings: readonly IndexedWord[],
  ): Promise<{ written: number; deleted: number }> {
    const dmpId = key.key.dmpId;
    const source = key.source(manifest.kind, manifest.id);
    const next = new Map<string, List>();
    for (const p of postings) {
      const token = key.token(p.word);
      const list = next.get(token) ?? {};
      list[`${source}#${p.fieldIndex}`] = p.posting;
      next.set(token, list);
    }
    const entries = [...next].flatMap(([token, list]) => Object.keys(list).map((e) => `${token}#${e.slice(source.length + 1)}`));
    const tokens = new Set([...next.keys(), ...(previous?.postings ?? []).map(tokenOfEntry)]);
    const counts = await this.updateLists(key, source, tokens, next);
    const m = indexKeys.manifest(dmpId, source);
    const sealed: Manifest = { ...manifest, complete: manifest.complete && counts.dropped === 0, postings: entries };
    await this.db.send(new PutItemCommand({ TableName: this.tableName, Item: { ...keyItem(m), [MANIFEST_ATTRIBUTE]: B(sealJson(key.key, m.sk, MANIFEST_ATTRIBUTE, sealed)) } }));
    return { written: counts.written + 1, deleted: counts.deleted };
  }

  /** Removes a source from the index: its entries from the lists of its words, then its manifest. */
  async remove(key: RecordIndexKey, previous: Manifest): Promise<number> {
    const dmpId = key.key.dmpId;
    const source = key.source(previous.kind, previous.id);
    const counts = await this.updateLists(key, source, new Set(previous.postings.map(tokenOfEntry)), new Map());
    await this.db.send(new DeleteItemCommand({ TableName: this.tableName, Key: keyItem(indexKeys.manifest(dmpId, source)) }));
    return counts.written + counts.deleted + 1;
  }

  /**
   * The lists of these words, in the source's bucket, made to hold exactly the source's entries of
   * `next` (none for a word it no longer has): read in BatchGetItems, each written (PutItem, or
   * DeleteItem when nothing is left) on condition of the version read; a write refused (another
   * source of the record changed that list meanwhile) reads that list again and applies the change
   * again. Lists are independent: one conflict retries one list, not the source's others.
   */
  private async updateLists(key: RecordIndexKey, source: string, tokens: ReadonlySet<string>, next: ReadonlyMap<string, List>) {
    const dmpId = key.key.dmpId;
    const bucket = bucketOf(source);
    const all = [...tokens].map((token) => ({ token, k: indexKeys.list(dmpId, token, bucket) }));
    const read = await batchGet(
      this.db,
      this.tableName,
      all.map(({ k }) => keyItem(k)),
      { consistent: true },
    );
    const current = new Map(read.map((item) => [required(str(item, 'sk'), 'sk'), item]));
    const outcomes = await inPool(all, LIST_WRITES_AT_ONCE, async ({ token, k }) => {
      let item = current.get(k.sk);
      for (let round = 0; ; round++) {
        const change = this.listChange(key, k, source, item, next.get(token));
        if (change.outcome === 'unchanged') return change;
        try {
          await (change.command instanceof PutItemCommand ? this.db.send(change.command) : this.db.send(change.command));
          return change;
        } catch (error) {
          if (round + 1 >= MAX_ROUNDS || (error as { name?: string } | undefined)?.name !== 'ConditionalCheckFailedException') throw error;
          await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** round) * (0.5 + Math.random() / 2)));
          item = (await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: keyItem(k), ConsistentRead: true }))).Item;
        }
      }
    });
    const count = (o: ListChange['outcome']) => outcomes.filter((c) => c.outcome === o).length;
    return { written: count('written'), deleted: count('deleted'), dropped: outcomes.filter((c) => c.dropped).length };
  }

  /** The write that makes one list hold the source's entries `entries` (none: undefined), if it does not already. */
  private listChange(key: RecordIndexKey, k: { pk: string; sk: string }, source: string, item: Item | undefined, entries: List | undefined): ListChange {
    const sealed = item && bin(item, LIST_ATTRIBUTE);
    const version = item ? (num(item, 'v') ?? 0) : undefined;
    const list: List = sealed ? openJson<List>(key.key, k.sk, LIST_ATTRIBUTE, sealed) : {};
    const before = JSON.stringify(list);
    for (const e of Object.keys(list)) if (e.startsWith(`${source}#`)) delete list[e];
    Object.assign(list, entries ?? {});
    let body = sealJson(key.key, k.sk, LIST_ATTRIBUTE, list);
    let dropped = false;
    if (entries && body.length > MAX_LIST_BYTES) {
      // A word too common to list this source too: the list keeps the others.
      dropped = true;
      for (const e of Object.keys(entries)) delete list[e];
      body = sealJson(key.key, k.sk, LIST_ATTRIBUTE, list);
    }
    if (JSON.stringify(list) === before) return { outcome: 'unchanged', dropped };
    const condition =
      version === undefined ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': N(version) } };
    if (Object.keys(list).length === 0) {
      // Nothing left in a list that existed (an empty list that did not is no change, above).
      return { outcome: 'deleted', dropped, command: new DeleteItemCommand({ TableName: this.tableName, Key: keyItem(k), ...condition }) };
    }
    const put = new PutItemCommand({ TableName: this.tableName, Item: { ...keyItem(k), [LIST_ATTRIBUTE]: B(body), v: N((version ?? 0) + 1) }, ...condition });
    return { outcome: 'written', dropped, command: put };
  }
}

/** What one list's update does: nothing, or the conditional write that puts or deletes it. */
type ListChange = { outcome: 'unchanged'; dropped: boolean } | { outcome: 'written' | 'deleted'; dropped: boolean; command: PutItemCommand | DeleteItemCommand };

/** The word's token of a manifest's entry `<token>#<fieldIndex>`. */
const tokenOfEntry = (entry: string): string => entry.slice(0, entry.lastIndexOf('#'));
