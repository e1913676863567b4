/** Identifiers of the contract (docs/API.md, "Identifiers"). */
export const DMP_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** IdNat_PS: 8 + 11-digit RPPS, or 0 + 9-digit ADELI. */
export const PROFESSIONAL_ID = /^(?:8[0-9]{11}|0[0-9]{9})$/;
/** FINESS: 9 characters, department first (2A/2B possible). */
export const FINESS = /^(?:[0-9]{2}|2A|2B)[0-9]{7}$/;
/** An Idempotency-Key header: the pipeline checks it, the OpenAPI document publishes its source as the pattern. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;
/**
 * A mobile of the French numbering plan (ARCEP's plan national de numérotation), in E.164 form:
 * codes go by SMS to numbers a caller chooses, so nothing outside the plan is accepted.
 *   +33 6 / +33 7 + 8 digits       metropolitan France (06, 07)
 *   +590 690 / 691 + 6 digits      Guadeloupe, Saint-Martin, Saint-Barthélemy (0690, 0691)
 *   +594 694 + 6 digits            Guyane (0694)
 *   +596 696 / 697 + 6 digits      Martinique (0696, 0697)
 *   +262 692 / 693 + 6 digits      La Réunion (0692, 0693)
 *   +262 639 + 6 digits            Mayotte (0639)
 *   +508 55 + 4 digits             Saint-Pierre-et-Miquelon (55 xx xx)
 * Nouvelle-Calédonie (+687), Polynésie française (+689) and Wallis-et-Futuna (+681) have numbering
 * plans of their own, outside ARCEP's: not accepted.
 */
export const MOBILE = /^\+(?:33[67][0-9]{8}|590(?:690|691)[0-9]{6}|594694[0-9]{6}|596(?:696|697)[0-9]{6}|262(?:692|693|639)[0-9]{6}|50855[0-9]{4})$/;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const READABLE = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const DIGITS = '0123456789';
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Uniform characters from random bytes (rejection sampling: no modulo bias). */
export const randomString = (bytes: (n: number) => Uint8Array, alphabet: string, length: number): string => {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of bytes(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
};

export const newDmpId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, BASE64URL, 22);
/** A login identifier printed on paper: 11 digits, not derived from anything. */
export const newLoginId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, DIGITS, 11);
/** Provisional password: 14 unambiguous characters (~82 bits). */
export const newProvisionalPassword = (bytes: (n: number) => Uint8Array): string => randomString(bytes, READABLE, 14);
/** Id of an event within a record (a trace, a notification): 12 characters, unique with its instant. */
export const newEventId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, 'abcdefghijklmnopqrstuvwxyz234567', 12);
/** Creation code sent by the Assurance Maladie: 16 Crockford base32 characters (80 bits). */
export const newCreationCode = (bytes: (n: number) => Uint8Array): string => randomString(bytes, CROCKFORD, 16);
