/**
 * The FHIR R4 interface's requests (zod, strict: an unknown search parameter or element is
 * refused, 400 OperationOutcome) and the outline of its answers (resource types; the resources
 * themselves are checked against the FHIR R4 definitions by the tests' independent validator).
 */
import * as z from 'zod/mini';
import { CONTENT_TYPES } from '#domain/documents';
import { FHIR_ID } from '#domain/fhir/ids';
import { Day, PageCursor, text } from '#http/schemas';
import { joinedWords, queryFault, SearchWords } from '../search/schemas.ts';

export const FhirId = z.lazy(() => z.string().check(z.regex(FHIR_ID, 'not a FHIR id'), z.meta({ description: 'A FHIR logical id' })));

export const IdParams = z.lazy(() => z.strictObject({ id: FhirId }));

/** A resource type's name as FHIR spells them (the catch-all routes only name it back). */
const ResourceType = z.lazy(() => z.string().check(z.regex(/^[A-Z][A-Za-z]{0,63}$/, 'not a FHIR resource type')));

export const TypeParams = z.lazy(() => z.strictObject({ type: ResourceType }));

export const TypeIdParams = z.lazy(() => z.strictObject({ type: ResourceType, id: FhirId }));

/** Any JSON object: a create of a resource type not served is refused whatever it holds. */
export const AnyResource = z.lazy(() => z.looseObject({}));

/** _count: a page's size, 1 to 100. */
const Count = z.lazy(() => z.string().check(z.regex(/^(?:[1-9][0-9]?|100)$/, '_count is 1 to 100')));

export const EverythingQuery = z.lazy(() =>
  z.strictObject({
    _count: z.optional(Count),
    _offset: z.optional(z.string().check(z.regex(/^(?:0|[1-9][0-9]{0,5})$/, '_offset is a whole number'))),
  }),
);

/**
 * The search parameters of DocumentReference, and their FHIR types (the CapabilityStatement lists
 * them). `_content` searches the words of the documents' titles and text; `_text` is FHIR's search
 * of a resource's narrative, and a DocumentReference's narrative is its document: the same words,
 * the same search (the record's keyword search, kind document).
 */
export const DOCUMENT_SEARCH = { patient: 'reference', status: 'token', type: 'token', date: 'date', _content: 'string', _text: 'string' } as const;

export const DocumentSearch = z.lazy(() =>
  z
    .strictObject({
      patient: z.string().check(z.regex(/^(?:Patient\/)?[A-Za-z0-9\-.]{1,64}$/, 'patient is Patient/<id> or <id>')),
      status: z.optional(z.enum(['current', 'superseded'])),
      // A token: [system|]code, the system LOINC's or the DMP's own (codes LOINC has not).
      type: z.optional(z.string().check(z.regex(/^(?:(?:http:\/\/loinc\.org|urn:dmp:document-type)\|)?[A-Za-z0-9_.-]{1,32}$/, 'type is [system|]code'))),
      // Only the lower bound of the deposit date is searched (ge): the listing's order and cursor are the deposit's.
      date: z.optional(z.string().check(z.regex(/^ge[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'date is ge<YYYY-MM-DD> (documents deposited on or after a day)'))),
      _content: z.optional(SearchWords),
      _text: z.optional(SearchWords),
      _count: z.optional(Count),
      _cursor: z.optional(PageCursor),
    })
    .check(
      // Both given: every word of both, as one query of the search (at most its number of words).
      z.superRefine((s, ctx) => {
        const fault = s._content !== undefined && s._text !== undefined ? queryFault(joinedWords(s._content, s._text) ?? '') : undefined;
        if (fault) ctx.addIssue({ code: 'custom', message: `_content and _text together: ${fault}`, path: ['_text'] });
      }),
      // The keyword search finds the current (and archived) documents; an earlier version is found through its current one.
      z.refine((s) => (s._content === undefined && s._text === undefined) || s.status !== 'superseded', {
        message: 'status=superseded does not combine with _content or _text: the words are found in current documents',
        path: ['status'],
      }),
    ),
);

const Coding = z.lazy(() =>
  z.strictObject({ system: z.optional(z.string().check(z.maxLength(200))), code: z.string().check(z.minLength(1), z.maxLength(64)), display: z.optional(text(255)) }),
);

/** A DocumentReference as a deposit (ITI-65's DocumentReference, one document, its content inline). */
export const DocumentReferenceBody = z.lazy(() =>
  z
    .strictObject({
      resourceType: z.literal('DocumentReference'),
      meta: z.optional(z.strictObject({ security: z.optional(z.array(Coding).check(z.maxLength(8))) })),
      masterIdentifier: z.optional(
        z.strictObject({ system: z.optional(z.string().check(z.maxLength(200))), value: z.string().check(z.regex(/^[A-Za-z0-9.^_:-]{1,128}$/, 'an OID or UUID-like identifier')) }),
      ),
      status: z.literal('current'),
      type: z.strictObject({ coding: z.array(Coding).check(z.minLength(1), z.maxLength(4)), text: z.optional(text(255)) }),
      subject: z.strictObject({ reference: z.string().check(z.regex(/^Patient\/[A-Za-z0-9\-.]{1,64}$/, 'subject is Patient/<id>')) }),
      description: text(255),
      securityLabel: z.optional(z.array(z.strictObject({ coding: z.array(Coding).check(z.maxLength(8)) })).check(z.maxLength(8))),
      context: z.strictObject({ period: z.strictObject({ start: Day }) }),
      relatesTo: z.optional(
        z
          .array(
            z.strictObject({
              code: z.literal('replaces'),
              target: z.strictObject({ reference: z.string().check(z.regex(/^DocumentReference\/[A-Za-z0-9\-.]{1,64}$/, 'target is DocumentReference/<id>')) }),
            }),
          )
          .check(z.maxLength(1)),
      ),
      content: z
        .array(
          z.strictObject({
            attachment: z.strictObject({
              contentType: z.enum(CONTENT_TYPES),
              // Checked as strict base64 by the deposit (no pattern: it would be matched against megabytes).
              data: z.string().check(z.minLength(4)),
              title: z.optional(text(255)),
            }),
          }),
        )
        .check(z.length(1, 'one content, inline (attachment.data)')),
    })
    .check(
      z.meta({
        examples: [
          {
            resourceType: 'DocumentReference',
            status: 'current',
            type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
            subject: { reference: 'Patient/Kq3v9xT2mB7wLp4z' },
            description: 'Compte rendu de consultation',
            context: { period: { start: '2026-03-14' } },
            content: [{ attachment: { contentType: 'application/pdf', data: 'JVBERi0xLjcKJcfsj6IK' } }],
          },
        ],
      }),
    ),
);

export type DocumentReferenceBody = z.infer<typeof DocumentReferenceBody>;

/** The outline of an answer: a resource of this type (its elements are FHIR's). */
const resource = <T extends string>(type: T) => z.lazy(() => z.looseObject({ resourceType: z.literal(type) }));

export const CapabilityStatementOut = resource('CapabilityStatement');
export const PatientOut = resource('Patient');
export const BundleOut = resource('Bundle');
export const DocumentReferenceOut = resource('DocumentReference');
export const BinaryOut = resource('Binary');
