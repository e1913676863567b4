/**
 * The contract's shapes (docs/API.md) as zod schemas: they validate requests (unknown fields
 * refused), type the handlers, and generate both the API Gateway request models and the OpenAPI
 * document. Messages never echo the value they refuse.
 *
 * This module holds the shared shapes (identifiers, instants, identity, paging, problem
 * documents); each capability keeps its own in its folder (functions/capabilities/<name>/schemas.ts),
 * so that each function's bundle builds only the schemas of its own routes (cold start: `npm run bench`).
 *
 * Every schema is wrapped in `z.lazy`: it is built the first time it is used, then kept. A cold
 * function builds the schemas of the one route it serves, not those of all its routes, and a
 * deployed function never builds its response schemas at all (they serve the OpenAPI document and
 * the local runtime's response check). Importing a function's bundle builds no schema.
 *
 * zod/mini, not classic zod: the same validation and JSON Schema, at 17 KB and ~10 ms of import
 * instead of 454 KB and ~50 ms. Only the English messages are loaded.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { DMP_ID, FINESS, MOBILE, PROFESSIONAL_ID } from '#domain/identifiers';
import { isValidIns } from '#domain/ins';
import { CHANNELS } from '#domain/creation';

z.config(en());

/**
 * Free text: 1 to `max` characters, no control characters, and well-formed Unicode (JSON may carry
 * a lone surrogate, "\ud800", which no character encodes: stored, it would come back altered).
 */
export const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'control characters are not allowed'),
    z.refine((s) => s.isWellFormed(), 'the text is not well-formed Unicode (a lone surrogate)'),
  );

export const Ins = z.lazy(() =>
  z
    .string()
    .check(
      z.regex(/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/, 'an INS has 15 characters: digits, 2A or 2B in positions 6-7'),
      z.refine(isValidIns, 'the INS key does not match'),
      z.meta({ description: 'INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL.' }),
    ),
);

export const DmpId = z.lazy(() => z.string().check(z.regex(DMP_ID), z.meta({ description: 'Opaque record id' })));

export const ProfessionalId = z.lazy(() => z.string().check(z.regex(PROFESSIONAL_ID)));

export const Finess = z.lazy(() => z.string().check(z.regex(FINESS)));

export const Mobile = z.lazy(() => z.string().check(z.regex(MOBILE, 'a French mobile number (metropolitan or overseas) in E.164 form, e.g. +33612345678')));

export const Instant = z.lazy(() => z.iso.datetime({ offset: false }));

export const Day = z.lazy(() => z.iso.date());

export const Channel = z.lazy(() => z.enum(CHANNELS));

export const count = () => z.int().check(z.minimum(0));

export const Relationship = z.lazy(() =>
  z
    .enum(['MTH', 'FTH', 'PRN', 'GRD', 'GRPRN', 'STPPRN', 'FAMMEMB'])
    .check(z.meta({ description: 'HL7 RoleCode of the legal representative: mother, father, parent, guardian, grandparent, step-parent, family member' })),
);

const FIRST_BIRTH_DATE = '1900-01-01';

/**
 * A birth date: a day from 1900-01-01 to today (UTC, as the creation rules read it). Bounds are
 * checked on well-formed days only, so that a malformed one gets one message.
 */
const BirthDate = z.lazy(() =>
  z.iso.date().check(
    z.refine((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d) || d >= FIRST_BIRTH_DATE, `a birth date is on or after ${FIRST_BIRTH_DATE}`),
    z.refine((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d) || d <= new Date().toISOString().slice(0, 10), 'a birth date is not in the future'),
    z.meta({ description: `A day from ${FIRST_BIRTH_DATE} to today` }),
  ),
);

export const Identity = z.lazy(() =>
  z.strictObject({
    familyName: text(100),
    givenNames: text(100),
    birthDate: BirthDate,
    sex: z.enum(['F', 'M', 'U']),
  }),
);

export const Contact = z.lazy(() =>
  z.strictObject({
    mobile: z.optional(Mobile),
    email: z.optional(z.email().check(z.maxLength(254))),
  }),
);

export const EmergencyAccess = z.lazy(() =>
  z.strictObject({
    breakGlass: z.optional(z.boolean()),
    regulation: z.optional(z.boolean()),
  }),
);

export const RepresentativeInput = z.lazy(() =>
  z.strictObject({
    familyName: text(100),
    givenNames: text(100),
    relationship: Relationship,
    mobile: z.optional(Mobile),
  }),
);

export const RecordParams = z.lazy(() => z.strictObject({ dmpId: DmpId }));

export const Problem = z.lazy(() =>
  z
    .object({
      type: z.string(),
      title: z.string(),
      status: z.int(),
      detail: z.optional(z.string()),
      instance: z.optional(z.string()),
      errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    })
    .check(z.meta({ description: 'RFC 9457 problem document (application/problem+json)' })),
);

export const PageLimit = z.lazy(() => z.string().check(z.regex(/^(?:[1-9][0-9]?|100)$/, 'limit is 1 to 100')));

export const PageCursor = z.lazy(() => z.string().check(z.regex(/^[A-Za-z0-9_-]{1,512}$/, 'not a cursor')));

export const PageQuery = z.lazy(() => z.strictObject({ limit: z.optional(PageLimit), cursor: z.optional(PageCursor) }));
