/**
 * What a changed item of a record means for the keyword index (the SearchIndexStore's `changed`,
 * functions/domain/jobs/search-index.ts): the source it holds, read now from the table and opened
 * with the record's key, through the capabilities' own stores where they have a reader.
 *
 *   DOC#<documentId>   a document (current or archived: its title, and its content's text,
 *                      extracted within bounds only when this version is new to the index; each
 *                      posting carries the access facts read here, which a search trusts while
 *                      the version has no change mark); superseded or deleted: gone
 *   CLAIMSRC#<h>       a claims line (id <h>, as the history shows it): its label and its codes;
 *                      expired (past its ttl) or deleted: gone
 *   HEALTH#PROFILE     the health profile: one source, a posting per entry (allergies, conditions,
 *                      treatments), the entry's id as the posting's id
 *   VACC#E#<id>        a recorded vaccination: its vaccine's name and codes
 *   OBS#<c>#<at>#<h>   a measurement: one source per measured code (id: the code), its name and
 *                      codes, dated by the code's newest measurement; not one per value
 *
 * A source's version starts with the scheme of the index (v1): a change in what is indexed and how
 * (words.ts) bumps it, and every source is indexed again on its next change.
 */
import { createHash } from 'node:crypto';
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { bin, epochSeconds, num, S, str } from '#adapters/attributes';
import { openJson } from '#adapters/envelope';
import { SearchIndex, type RecordIndexKey } from '#adapters/search-index';
import { SEARCH_INDEXED_PREFIXES } from '#adapters/storage-contract';
import { keyItem, keys } from '#adapters/table';
import { extractText, type ExtractionLimits, EXTRACTION_LIMITS } from '#adapters/text-extraction';
import { ClaimStore } from '#capabilities/claims/store';
import { DocumentStore } from '#capabilities/documents/store';
import { HealthStore } from '#capabilities/health/store';
import type { ChangedItem, Change, SearchIndexStore, SourceContent } from '#domain/jobs/search-index';
import { measurementDefinition, type RecordedMeasurement } from '#domain/measurements';
import type { Clock, KeyRing } from '#domain/ports';
import { documentStateTuple, type SourceField } from '#domain/search/postings';
import type { RecordedVaccination } from '#domain/vaccinations/entries';

/** The scheme of the index: part of every source's version. */
const SCHEME = 'v1';

/** Whether an item's sort key is one the index follows (the stream filter's and the local feed's test). */
export const isIndexedItem = (sk: string): boolean => SEARCH_INDEXED_PREFIXES.some((p) => sk.startsWith(p));

const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
const version = (...parts: (string | number)[]): string => [SCHEME, ...parts].join('|');
const joined = (...parts: (string | undefined)[]): string => parts.filter((p): p is string => !!p).join(' ');

export interface SourceReaderDeps {
  db: DynamoDBClient;
  tableName: string;
  keyRing: KeyRing;
  clock: Clock;
  /** The bounds of a document's text extraction (tests shorten the deadline). */
  extraction?: ExtractionLimits;
}

/** The index's store for the job: the index's items (SearchIndex) and the reader of changed items. */
export class SearchIndexTable implements SearchIndexStore<RecordIndexKey> {
  readonly index: SearchIndex;
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly clock: Clock;
  private readonly extraction: ExtractionLimits;
  private readonly documents: DocumentStore;
  private readonly claims: ClaimStore;
  private readonly health: HealthStore;
  constructor(deps: SourceReaderDeps) {
    this.db = deps.db;
    this.table = deps.tableName;
    this.clock = deps.clock;
    this.extraction = deps.extraction ?? EXTRACTION_LIMITS;
    this.index = new SearchIndex(deps.db, deps.tableName, deps.keyRing);
    this.documents = new DocumentStore(deps.db, deps.tableName);
    this.claims = new ClaimStore(deps.db, deps.tableName);
    this.health = new HealthStore(deps.db, deps.tableName);
  }

  recordKey(dmpId: string) {
    return this.index.recordKey(dmpId);
  }
  manifest(...args: Parameters<SearchIndex['manifest']>) {
    return this.index.manifest(...args);
  }
  replace(...args: Parameters<SearchIndex['replace']>) {
    return this.index.replace(...args);
  }
  remove(...args: Parameters<SearchIndex['remove']>) {
    return this.index.remove(...args);
  }

  async changed(key: RecordIndexKey, change: Change): Promise<ChangedItem | undefined> {
    const { sk } = change;
    if (!isIndexedItem(sk)) return undefined;
    if (sk.startsWith('DOC#')) return this.document(key, sk.slice('DOC#'.length));
    if (sk.startsWith('CLAIMSRC#')) return this.claim(key, sk);
    if (sk === 'HEALTH#PROFILE') return this.profile(key);
    if (sk.startsWith('VACC#E#')) return this.vaccination(key, sk);
    if (sk.startsWith('OBS#')) return this.measurement(key, sk);
    return undefined;
  }

  private async document(key: RecordIndexKey, documentId: string): Promise<ChangedItem> {
    const item = keys.document(key.key.dmpId, documentId).sk;
    const ref = { kind: 'document', id: documentId } as const;
    const doc = await this.documents.get(key.key.dmpId, documentId);
    // A version changed since its deposit has its mark (written with the change); written again here
    // for a change made without it (an API older than the marks, during the deployment that brings
    // them), so that a search stops trusting the facts indexed before it within the stream's lag.
    if (doc && doc.revision > 1) await this.documents.markChanged(key.key.dmpId, documentId);
    if (!doc || doc.status === 'superseded' || doc.status === 'deleted') return { ref, item };
    const opened = this.documents.openDocument(key.key, doc);
    const read = async (): Promise<SourceContent> => {
      const title = this.documents.openTitle(key.key, doc);
      // The access facts as read now, in every posting: a search decides on them while the version is unmarked (store.ts, changedMark).
      const state = documentStateTuple({ status: opened.status, labels: opened.labels, classCode: opened.classCode, typeCode: opened.typeCode, author: opened.author });
      const field = (name: string, text: string): SourceField => ({ id: documentId, date: opened.serviceDate, title, field: name, text, state });
      const extraction = await extractText(opened.contentType, await this.documents.readContent(key.key, doc), this.extraction);
      return {
        fields: [field('title', title), ...(extraction.state === 'indexed' ? [field('text', extraction.text)] : [])],
        text: extraction.state,
      };
    };
    // The content never changes (a new content is a new version, another document id).
    return { ref, item, current: { ...ref, version: version('document'), read } };
  }

  private async claim(key: RecordIndexKey, sk: string): Promise<ChangedItem> {
    const found = (await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem({ pk: keys.record(key.key.dmpId).pk, sk }), ConsistentRead: true }))).Item;
    const sealed = found && bin(found, 'line');
    const lineId = sk.slice(sk.lastIndexOf('#') + 1);
    const ref = { kind: 'claim', id: lineId } as const;
    if (!found || !sealed || (num(found, 'ttl') ?? 0) <= epochSeconds(this.clock.now())) return { ref, item: sk };
    const { line } = this.claims.open(key.key, { sk, sealed });
    const field = (name: string, text: string): SourceField => ({ id: lineId, date: line.date, title: line.display, field: name, text });
    const fields = [field('display', line.display), field('code', joined(line.code, line.atcGroup, line.atcValence, ...(line.activeComponents ?? [])))];
    return { ref, item: sk, current: { ...ref, version: version(digest(fields)), read: async () => ({ fields, text: 'indexed' }) } };
  }

  private async profile(key: RecordIndexKey): Promise<ChangedItem> {
    const ref = { kind: 'profile', id: 'profile' } as const;
    const item = 'HEALTH#PROFILE';
    const stored = await this.health.profile(key.key.dmpId);
    if (!stored.sealed) return { ref, item };
    const p = this.health.openProfile(key.key, stored.sealed);
    const fields: SourceField[] = [
      ...p.allergies.flatMap((a) => [
        { id: a.id, date: a.recordedAt, title: a.substance, field: 'allergies.substance', text: a.substance },
        ...(a.reaction ? [{ id: a.id, date: a.recordedAt, title: a.substance, field: 'allergies.reaction', text: a.reaction }] : []),
      ]),
      ...p.conditions.map((c) => ({ id: c.id, date: c.recordedAt, title: c.text, field: 'conditions.text', text: c.text })),
      ...p.treatments.map((t) => ({ id: t.id, date: t.recordedAt, title: t.medication, field: 'treatments.medication', text: t.medication })),
    ];
    return { ref, item, current: { ...ref, version: version(stored.version, digest(fields)), read: async () => ({ fields, text: 'indexed' }) } };
  }

  private async vaccination(key: RecordIndexKey, sk: string): Promise<ChangedItem> {
    const id = sk.slice('VACC#E#'.length);
    const ref = { kind: 'vaccination', id } as const;
    const found = (await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem({ pk: keys.record(key.key.dmpId).pk, sk }), ConsistentRead: true }))).Item;
    const sealed = found && bin(found, 'entry');
    if (!sealed) return { ref, item: sk };
    const entry = openJson<RecordedVaccination>(key.key, sk, 'entry', sealed);
    const field = (name: string, text: string): SourceField => ({ id, date: entry.date, title: entry.vaccine.name, field: name, text });
    const fields = [field('vaccine.name', entry.vaccine.name), field('vaccine.code', joined(entry.vaccine.code, entry.vaccine.atcValence))];
    return { ref, item: sk, current: { ...ref, version: version(digest(fields)), read: async () => ({ fields, text: 'indexed' }) } };
  }

  /** A measurement's code: its series' newest measurement dates the source. */
  private async measurement(key: RecordIndexKey, sk: string): Promise<ChangedItem | undefined> {
    const series = sk.split('#').slice(0, 2).join('#');
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :series)',
        ExpressionAttributeValues: { ':pk': S(keys.record(key.key.dmpId).pk), ':series': S(`${series}#`) },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const newest = out.Items?.[0];
    const newestSk = newest && str(newest, 'sk');
    const sealed = newest && bin(newest, 'measurement');
    // A series never loses its measurements but with the whole record (the partition goes whole).
    if (!newestSk || !sealed) return undefined;
    const m = openJson<RecordedMeasurement>(key.key, newestSk, 'measurement', sealed);
    const definition = measurementDefinition(m.code);
    const title = definition?.display ?? m.code;
    const components = definition?.components ?? [];
    const field = (name: string, text: string): SourceField => ({ id: m.code, date: m.effectiveAt, title, field: name, text });
    const fields = [field('display', joined(title, ...components.map((c) => c.display))), field('code', joined(m.code, ...components.map((c) => c.code)))];
    const ref = { kind: 'measurement', id: m.code } as const;
    return { ref, item: series, current: { ...ref, version: version(m.effectiveAt, digest(fields)), read: async () => ({ fields, text: 'indexed' }) } };
  }
}
