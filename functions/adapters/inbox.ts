/**
 * Where the claims import reads its NDJSON objects (the InboxObjects port of
 * functions/domain/jobs/claims-import.ts): the inbox bucket through S3, or a local file.
 *
 * S3: each read is a GetObject of the version being imported (If-Match on its ETag: an object
 * replaced meanwhile reads as gone, never as a mix of two files) from a byte offset (Range), whose
 * body is streamed as it arrives. The deletion is conditional on the same ETag, so that a newer
 * upload under the same key is never deleted unread.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { InboxObject, InboxObjects } from '#domain/jobs/claims-import';

/** An ETag as S3 events give it (no quotes), whatever form it came in. */
export const bareEtag = (etag: string): string => etag.replace(/^"|"$/g, '');

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** The object is not there in that version: absent (404) or replaced (412, If-Match). */
const isGone = (error: unknown): boolean => statusOf(error) === 404 || statusOf(error) === 412;

async function* nothing(): AsyncGenerator<Uint8Array> {}

export class S3InboxObjects implements InboxObjects {
  private readonly s3: S3Client;
  private readonly bucket: string;
  constructor(s3: S3Client, bucket: string) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  /** The object now under `key` (its current ETag as version), or undefined when there is none. */
  async current(key: string): Promise<InboxObject | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.ETag ? { key, version: bareEtag(out.ETag) } : undefined;
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  }

  async read(object: InboxObject, fromByte: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: object.key,
          IfMatch: `"${bareEtag(object.version)}"`,
          ...(fromByte > 0 ? { Range: `bytes=${fromByte}-` } : {}),
        }),
      );
      // In Node the body is a Readable: an async iterable of Buffers, read as they arrive.
      return (out.Body as AsyncIterable<Uint8Array> | undefined) ?? nothing();
    } catch (error) {
      if (isGone(error)) return undefined;
      // From the object's very end (an import that stopped after its last batch): nothing left.
      if (statusOf(error) === 416) return nothing();
      throw error;
    }
  }

  async remove(object: InboxObject): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: object.key, IfMatch: `"${bareEtag(object.version)}"` }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

/**
 * A local file as the inbox (POST /_local/jobs/claims-import with a path): its version is its size
 * and modification time, so that a rewritten file is imported afresh. It is not deleted after the
 * import: it is the developer's file, not an object handed over to the import.
 */
export class FileInboxObjects implements InboxObjects {
  /** The file at `path`, or undefined when there is none. */
  static async current(path: string): Promise<InboxObject | undefined> {
    try {
      const s = await stat(path);
      return s.isFile() ? { key: path, version: `${s.size}-${Math.trunc(s.mtimeMs)}` } : undefined;
    } catch {
      return undefined;
    }
  }

  async read(object: InboxObject, fromByte: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const now = await FileInboxObjects.current(object.key);
    if (now?.version !== object.version) return undefined;
    return createReadStream(object.key, { start: fromByte, highWaterMark: 256 * 1024 });
  }

  async remove(): Promise<void> {}
}

/**
 * The objects an S3 event notification (the body of a message of the import queue) names in
 * `bucket`. S3's own test event, and records of another bucket or event, name none. Keys arrive
 * URL-encoded, spaces as '+'.
 */
export const objectsOfS3Event = (body: string, bucket: string): InboxObject[] => {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return [];
  }
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((record: { eventName?: unknown; s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; eTag?: unknown } } }) => {
    const { eventName, s3 } = record ?? {};
    const key = s3?.object?.key;
    const etag = s3?.object?.eTag;
    if (typeof eventName !== 'string' || !eventName.startsWith('ObjectCreated:') || s3?.bucket?.name !== bucket) return [];
    if (typeof key !== 'string' || typeof etag !== 'string') return [];
    return [{ key: decodeURIComponent(key.replace(/\+/g, ' ')), version: bareEtag(etag) }];
  });
};
