/** Identifiers of the contract (docs/API.md, "Identifiers"). */
export const DMP_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** IdNat_PS: 8 + 11-digit RPPS, or 0 + 9-digit ADELI. */
export const PROFESSIONAL_ID = /^(?:8[0-9]{11}|0[0-9]{9})$/;
/** FINESS: 9 characters, department first (2A/2B possible). */
export const FINESS = /^(?:[0-9]{2}|2A|2B)[0-9]{7}$/;
/** An Idempotency-Key header: the pipeline checks it, the OpenAPI document publishes its source as the pattern. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,64}$/;
/** E.164, French and overseas numbers alike. */
export const MOBILE = /^\+[1-9][0-9]{7,14}$/;

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
