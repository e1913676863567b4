/**
 * The keyword index of a record, blind: it lives on the record's own partition, and neither its keys
 * nor its clear attributes hold a word, an id or a count of words across records.
 *
 *   REC#<dmpId>  IDX#<token>#<b>    a word's list, bucket b (0‥7): postings of that word (sealed: for
 *                                   each source and field, kind, id, date, title, field, positions,
 *                                   and a document's access facts); bucket 0 holds every source of
 *                                   the word while they are few, buckets 1‥7 the sources whose hash
 *                                   falls in them once the word outgrew bucket 0; `v` its version
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
 * lists hold and not on what else the partition holds, and needs no paging of a common word. A
 * word of few sources is one item (bucket 0), which is most words of a record: on the emulator a
 * search's cost is mostly the items found, and on DynamoDB one item of 9 KB costs fewer read units
 * than eight of 1 KB. A common word is split in buckets by source so that an update rewrites a
 * part of its list. The job reads the lists that may hold a source in BatchGetItems and writes
 * each list that changed (PutItem, DeleteItem) on condition of the version it read: two sources of
 * one record indexed at once never lose each other's postings (the loser reads that word again and
 * applies its change again). Single-item writes rather than transactions: a conflict retries one
 * word, and a write costs its size once. Every change is "remove this source's entries, then add
 * its new ones": replayed, it writes the same.
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
/** Buckets of a word's list: a search reads 8 keys a word, an update rewrites one bucket or two. */
export const BUCKETS = 8;
/**
 * Bucket 0 holds every source of a word while it stays under this sealed size (some fifty
 * postings): most words of a record are one item, which a search reads as one. A word past it
 * spreads over the other buckets by source.
 */
const SMALL_LIST_BYTES = 16_384;
/**
 * A list's sealed size at most (DynamoDB's item limit is 400 KB): a source whose entry would pass
 * it is left out of that word's list, and its manifest says its index is incomplete.
 */
const MAX_LIST_BYTES = 300_000;
/** Lists written at once by one source's update. */
const LIST_WRITES_AT_ONCE = 16;
/** Rounds of read-and-write a list update gives a concurrent writer before failing (the stream retries). */
const MAX_ROUNDS = 16;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A list's entries: `<source>#<fieldIndex>` → the posting of that word in that field of that source. */
type List = Record<string, Posting>;

/** A source's own bucket (1‥7), once its word outgrew bucket 0: its hash's first character (near uniform over base64url's 64). */
const ownBucketOf = (source: string): number => 1 + (BASE64URL.indexOf(source[0] ?? 'A') % (BUCKETS - 1));
/** The bucket (0‥7) that held a source before bucket 0 took small words: an index written then is kept in line too. */
const formerBucketOf = (source: string): number => BASE64URL.indexOf(source[0] ?? 'A') % BUCKETS;

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
    // By entry: a source moving between buckets is in both for a moment (updateLists), found once.
    const byWord = new Map<string, List>(words.map((w) => [w, {}]));
    for (const item of items) {
      if (!item) continue;
      const sk = required(str(item, 'sk'), 'sk');
      const word = wanted.get(sk);
      const sealed = bin(item, LIST_ATTRIBUTE);
      if (word === undefined || !sealed) continue;
      Object.assign(byWord.get(word) ?? {}, openJson<List>(key.key, sk, LIST_ATTRIBUTE, sealed));
    }
    return new Map([...byWord].map(([word, list]) => [word, Object.values(list)]));
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
   * The lists of these words made to hold exactly the source's entries of `next` (none for a word
   * it no longer has). A source's entries are only ever in bucket 0 or in its own bucket (or, for an
   * index written before bucket 0 took small words, in the bucket its hash gave then): those lists
   * of each word are read (BatchGetItems, consistent), the source's entries taken out of them and
   * put in bucket 0 while it stays under SMALL_LIST_BYTES, in the source's own bucket otherwise;
   * each list that changed is written (PutItem, or DeleteItem when nothing is left) on condition of
   * the version read, the list gaining the entries first (a reader meanwhile finds them twice, never
   * nowhere: postingsOfWords merges by entry). A write refused (another source of the record changed
   * that word meanwhile) reads the word's lists again and applies the change again. Words are
   * independent: one conflict retries one word, not the source's others.
   */
  private async updateLists(key: RecordIndexKey, source: string, tokens: ReadonlySet<string>, next: ReadonlyMap<string, List>) {
    const dmpId = key.key.dmpId;
    const own = ownBucketOf(source);
    const held = [...new Set([0, own, formerBucketOf(source)])];
    const listsOf = (token: string) => held.map((b) => ({ b, k: indexKeys.list(dmpId, token, b) }));
    const readLists = async (words: readonly string[]) => {
      const read = await batchGet(
        this.db,
        this.tableName,
        words.flatMap((token) => listsOf(token).map(({ k }) => keyItem(k))),
        { consistent: true },
      );
      return new Map(read.map((item) => [required(str(item, 'sk'), 'sk'), item]));
    };
    const current = await readLists([...tokens]);
    const outcomes = await inPool([...tokens], LIST_WRITES_AT_ONCE, async (token) => {
      const lists = listsOf(token);
      let items = lists.map(({ k }) => current.get(k.sk));
      for (let round = 0; ; round++) {
        const change = this.wordChange(key, lists, own, source, items, next.get(token));
        try {
          for (const command of change.commands) await (command instanceof PutItemCommand ? this.db.send(command) : this.db.send(command));
          return change;
        } catch (error) {
          if (round + 1 >= MAX_ROUNDS || (error as { name?: string } | undefined)?.name !== 'ConditionalCheckFailedException') throw error;
          await new Promise((r) => setTimeout(r, Math.min(1000, 10 * 2 ** round) * (0.5 + Math.random() / 2)));
          const again = await readLists([token]);
          items = lists.map(({ k }) => again.get(k.sk));
        }
      }
    });
    return {
      written: outcomes.reduce((n, c) => n + c.written, 0),
      deleted: outcomes.reduce((n, c) => n + c.deleted, 0),
      dropped: outcomes.filter((c) => c.dropped).length,
    };
  }

  /**
   * The writes that make a word's lists that may hold the source (`lists`, bucket 0 first, as
   * read: `items`) hold its entries `entries` (none: undefined), if they do not already.
   */
  private wordChange(
    key: RecordIndexKey,
    lists: readonly { b: number; k: { pk: string; sk: string } }[],
    own: number,
    source: string,
    items: readonly (Item | undefined)[],
    entries: List | undefined,
  ): WordChange {
    const opened = lists.map(({ k }, i) => {
      const sealed = items[i] && bin(items[i], LIST_ATTRIBUTE);
      return sealed ? openJson<List>(key.key, k.sk, LIST_ATTRIBUTE, sealed) : {};
    });
    // A list's entries whatever their order (taking a source's entries out and putting them back moves them to the end).
    const canonical = (l: List) =>
      JSON.stringify(
        Object.keys(l)
          .sort()
          .map((e) => [e, l[e]]),
      );
    const before = opened.map(canonical);
    for (const list of opened) for (const e of Object.keys(list)) if (e.startsWith(`${source}#`)) delete list[e];
    const bodies = new Map<number, Uint8Array>();
    const body = (i: number) => {
      const sealed = bodies.get(i) ?? sealJson(key.key, lists[i]?.k.sk ?? '', LIST_ATTRIBUTE, opened[i]);
      bodies.set(i, sealed);
      return sealed;
    };
    let dropped = false;
    let target: number | undefined;
    if (entries && Object.keys(entries).length > 0) {
      // A word of few sources is one list (bucket 0): a search finds it in one item. Past that, each
      // source goes to its own bucket, so that a change of a common word rewrites a seventh of it.
      const place = (i: number) => {
        Object.assign(opened[i] as List, entries);
        bodies.delete(i);
      };
      const unplace = (i: number) => {
        for (const e of Object.keys(entries)) delete opened[i]?.[e];
        bodies.delete(i);
      };
      target = 0;
      place(0);
      if (body(0).length > SMALL_LIST_BYTES) {
        unplace(0);
        target = lists.findIndex(({ b }) => b === own);
        place(target);
        if (body(target).length > MAX_LIST_BYTES) {
          // A word too common to list this source too: the list keeps the others.
          dropped = true;
          unplace(target);
        }
      }
    }
    // The list gaining the source's entries first, then those losing them.
    const order = lists.map((_, i) => i).sort((a, b) => (a === target ? -1 : b === target ? 1 : a - b));
    const commands: (PutItemCommand | DeleteItemCommand)[] = [];
    let written = 0;
    let deleted = 0;
    for (const i of order) {
      const list = opened[i] as List;
      const k = lists[i]?.k as { pk: string; sk: string };
      const item = items[i];
      if (canonical(list) === before[i]) continue;
      const version = item ? (num(item, 'v') ?? 0) : undefined;
      const condition =
        version === undefined ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': N(version) } };
      if (Object.keys(list).length === 0) {
        // Nothing left in a list that existed (an empty list that did not is no change, above).
        commands.push(new DeleteItemCommand({ TableName: this.tableName, Key: keyItem(k), ...condition }));
        deleted++;
        continue;
      }
      commands.push(new PutItemCommand({ TableName: this.tableName, Item: { ...keyItem(k), [LIST_ATTRIBUTE]: B(body(i)), v: N((version ?? 0) + 1) }, ...condition }));
      written++;
    }
    return { commands, written, deleted, dropped };
  }
}

/** What one word's update does: the conditional writes that put or delete its changed buckets (none: unchanged). */
interface WordChange {
  commands: (PutItemCommand | DeleteItemCommand)[];
  written: number;
  deleted: number;
  dropped: boolean;
}

/** The word's token of a manifest's entry `<token>#<fieldIndex>`. */
const tokenOfEntry = (entry: string): string => entry.slice(0, entry.lastIndexOf('#'));
