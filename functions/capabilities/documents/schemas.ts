/** Documents: deposit, listing, reading and labels. */
import * as z from 'zod/mini';
import { text, DmpId, Instant, Day, count, PageLimit, PageCursor } from '#http/schemas';
import { CONTENT_TYPES, DOCUMENT_ID } from '#domain/documents';

export const DocumentId = z.lazy(() => z.string().check(z.regex(DOCUMENT_ID, 'not a document id'), z.meta({ description: 'Opaque document id' })));

export const DocumentParams = z.lazy(() => z.strictObject({ dmpId: DmpId, documentId: DocumentId }));

export const TypeCode = z.lazy(() => z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'not a type code'), z.meta({ description: 'A type code of data/document-types.json' })));

const Labels = z.lazy(() =>
  z.strictObject({
    maskedToProfessionals: z.optional(z.boolean()),
    invisibleToPatient: z.optional(z.boolean()),
    invisibleToRepresentatives: z.optional(z.boolean()),
  }),
);

export const DepositBody = z.lazy(() =>
  z.strictObject({
    typeCode: TypeCode,
    title: text(255),
    serviceDate: Day,
    contentType: z.enum(CONTENT_TYPES),
    // Checked as strict base64 by the function (no pattern: the gateway would match it against megabytes).
    content: z.string().check(z.minLength(4), z.meta({ description: 'The content, base64 (RFC 4648 with padding): at most 4 MiB decoded' })),
    uniqueId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9.^_:-]{1,128}$/, 'a uniqueId is an OID or UUID-like identifier'))),
    replaces: z.optional(DocumentId),
    visibility: z.optional(Labels),
  }),
);

export type DepositBody = z.infer<typeof DepositBody>;

export const Deposited = z.lazy(() => z.strictObject({ documentId: DocumentId, version: z.int().check(z.positive()), status: z.literal('current') }));

/** The fields of a document's metadata, shared by the listing and the read views. */
const metaShape = () => ({
  documentId: DocumentId,
  version: z.int(),
  typeCode: z.string(),
  classCode: z.string(),
  title: z.string(),
  serviceDate: Day,
  depositedAt: Instant,
  author: z.strictObject({ kind: z.enum(['professional', 'patient', 'representative']), id: z.string(), profession: z.optional(z.string()) }),
  status: z.enum(['current', 'archived', 'superseded']),
  visibility: z.strictObject({ maskedToProfessionals: z.boolean(), invisibleToPatient: z.boolean(), invisibleToRepresentatives: z.boolean() }),
  size: count(),
  contentType: z.string(),
  replaces: z.optional(DocumentId),
});

export const DocumentMeta = z.lazy(() => z.strictObject(metaShape()));

export const DocumentList = z.lazy(() => z.strictObject({ items: z.array(DocumentMeta), nextCursor: z.nullable(z.string()) }));

export const DocumentWithContent = z.lazy(() => z.strictObject({ ...metaShape(), content: z.string() }));

export const DocumentQuery = z.lazy(() =>
  z.strictObject({
    status: z.optional(z.enum(['current', 'archived', 'all'])),
    typeCode: z.optional(TypeCode),
    q: z.optional(text(200)),
    since: z.optional(Day),
    limit: z.optional(PageLimit),
    cursor: z.optional(PageCursor),
  }),
);

export const DocumentPatch = z.lazy(() =>
  z
    .strictObject({
      maskedToProfessionals: z.optional(z.boolean()),
      invisibleToPatient: z.optional(z.literal(false)),
      visibleToRepresentatives: z.optional(z.literal(true)),
      archived: z.optional(z.boolean()),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, 'name at least one change')),
);
