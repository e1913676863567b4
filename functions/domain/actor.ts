/**
 * Who is calling, as established from a verified token (or no token at all). A session holder's
 * `authenticatedAt` is when its login checked the password (ms): sessions end with their credentials
 * and with their record's closure (domain/login.ts sessionEnd).
 */
export type Actor =
  | { kind: 'professional'; id: string; profession: string; structure?: string; role?: string }
  | { kind: 'agent'; id: string; organisation: string }
  /**
   * The Assurance Maladie's sync of the reimbursed-care history: a machine client (OAuth client
   * credentials with the `claims:write` scope). It writes claims and reads nothing of a record.
   */
  | { kind: 'insurer'; id: string }
  /**
   * A connected device or app the patient paired with one record: its credential (shown once,
   * stored hashed, revocable) writes measurements to that record and does nothing else.
   */
  | { kind: 'device'; id: string; dmpId: string }
  | { kind: 'patient'; dmpId: string; loginId: string; passwordChangeRequired?: boolean; authenticatedAt?: number }
  | { kind: 'representative'; dmpId: string; loginId: string; passwordChangeRequired?: boolean; authenticatedAt?: number }
  | { kind: 'anonymous' };

/** The stable reference of an actor kept in traces and idempotency scopes: ids only, never names. */
export const actorRef = (actor: Actor): string => {
  switch (actor.kind) {
    case 'professional':
      return `professional:${actor.id}`;
    case 'agent':
      return `agent:${actor.id}`;
    case 'insurer':
      return `insurer:${actor.id}`;
    case 'device':
      return `device:${actor.id}`;
    case 'patient':
      return `patient:${actor.dmpId}`;
    case 'representative':
      return `representative:${actor.loginId}`;
    case 'anonymous':
      return 'anonymous';
  }
};

/** The session holder of a record (patient or legal representative), if the caller is one. */
export const isRecordHolder = (actor: Actor): actor is Extract<Actor, { kind: 'patient' | 'representative' }> => actor.kind === 'patient' || actor.kind === 'representative';
