/**
 * The FHIR searches of the health data: their query parameters (strict: a parameter not listed is
 * refused, as FHIR's `handling=strict` asks) and their answer, a searchset Bundle.
 */
import * as z from 'zod/mini';
import { MEASUREMENT_CODES } from '#domain/measurements';
import { PageCursor } from '#http/schemas';
import { joinedWords, queryFault, SearchWords } from '../search/schemas.ts';

/** The record: `<dmpId>` or `Patient/<dmpId>`. */
const PatientParam = z.lazy(() =>
  z
    .string()
    .check(z.regex(/^(?:Patient\/)?[A-Za-z0-9_.-]{8,64}$/, 'a Patient id, or Patient/<id>'), z.meta({ description: 'The record: its id (the Patient’s), or `Patient/<id>`' })),
);

const Count = z.lazy(() => z.string().check(z.regex(/^(?:[1-9][0-9]?|100)$/, '_count is 1 to 100'), z.meta({ description: 'Entries per page: 1 to 100 (50 when absent)' })));

const Cursor = z.lazy(() => PageCursor.check(z.meta({ description: 'Where the page starts: as the `next` link of the previous page gives it' })));

const searchShape = () => ({ patient: PatientParam, _count: z.optional(Count), _cursor: z.optional(Cursor) });

/** A search by patient, paged (`_count`, and the next link's `_cursor`). */
export const PatientSearch = z.lazy(() => z.strictObject(searchShape()));

const codes = MEASUREMENT_CODES.map((c) => c.replace('-', '\\-')).join('|');

/**
 * The Observation search's parameters. `_content`: words of the measurement's name (the LOINC
 * display the API shows) or its code, as the record's keyword search finds them (kind
 * measurement); `_text`, FHIR's search of the narrative, is the same search: an Observation's
 * narrative would be that name. Both given: every word of both.
 */
export const ObservationSearch = z.lazy(() =>
  z
    .strictObject({
      ...searchShape(),
      _content: z.optional(SearchWords),
      _text: z.optional(SearchWords),
      code: z.optional(
        z
          .string()
          .check(
            z.regex(new RegExp(`^(?:http://loinc\\.org\\|)?(?:${codes})$`), 'a LOINC code of data/measurements.json, alone or as http://loinc.org|<code>'),
            z.meta({ description: 'One LOINC code’s series (data/measurements.json): `<code>` or `http://loinc.org|<code>`' }),
          ),
      ),
      date: z.optional(
        z
          .string()
          .check(
            z.regex(
              /^(?:eq|ge|gt|le|lt)?[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,3})?)?(?:Z|[+-][0-9]{2}:[0-9]{2}))?$/,
              'a day or an instant, after eq, ge, gt, le or lt',
            ),
            z.meta({ description: 'When it was measured: a day or an instant (with its offset), after an optional prefix `eq` (the default), `ge`, `gt`, `le` or `lt`' }),
          ),
      ),
    })
    .check(
      // Both given: every word of both, as one query of the search (at most its number of words).
      z.superRefine((s, ctx) => {
        const fault = s._content !== undefined && s._text !== undefined ? queryFault(joinedWords(s._content, s._text) ?? '') : undefined;
        if (fault) ctx.addIssue({ code: 'custom', message: `_content and _text together: ${fault}`, path: ['_text'] });
      }),
    ),
);

/** A searchset Bundle: each entry a resource of the search, validated against FHIR R4 in the tests. */
export const SearchBundle = z.lazy(() =>
  z.strictObject({
    resourceType: z.literal('Bundle'),
    type: z.literal('searchset'),
    link: z.array(z.strictObject({ relation: z.enum(['self', 'next']), url: z.string() })),
    entry: z.array(
      z.strictObject({
        resource: z.looseObject({ resourceType: z.string(), id: z.string() }).check(z.meta({ description: 'A FHIR R4 resource of the searched type' })),
        search: z.strictObject({ mode: z.literal('match') }),
      }),
    ),
  }),
);
