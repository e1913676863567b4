/**
 * A rule of the domain said no. The kind says how a caller should read the refusal; the message
 * is written for the client and must never contain identity or health content.
 */
export type ViolationKind = 'invalid' | 'refused' | 'forbidden' | 'not-found' | 'conflict' | 'too-large';

export class RuleViolation extends Error {
  override readonly name = 'RuleViolation';
  readonly kind: ViolationKind;
  readonly code: string;
  constructor(kind: ViolationKind, code: string, message: string) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

export const refuse = (kind: ViolationKind, code: string, message: string): never => {
  throw new RuleViolation(kind, code, message);
};

/** A list cursor that is not one this list handed out (the client sent it back altered, or to another list). */
export class InvalidCursor extends Error {
  override readonly name = 'InvalidCursor';
  constructor() {
    super('The cursor is not valid.');
  }
}

/** A transaction refused by the conditions of some of its parts (Write), named by their labels. */
export class ConditionsRefused extends Error {
  override readonly name = 'ConditionsRefused';
  readonly labels: ReadonlySet<string>;
  constructor(labels: string[]) {
    super(`conditions refused: ${labels.join(', ')}`);
    this.labels = new Set(labels);
  }
}
