/**
 * RFC 9457 problem documents: the one shape every error takes. A detail never echoes a NIR, a
 * name, a phone number or document content.
 */
import type { ViolationKind } from '#domain/errors';

export interface FieldError {
  path: string;
  message: string;
}

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'The request is not valid'],
  401: ['unauthenticated', 'Missing or invalid credentials'],
  403: ['forbidden', 'Not allowed'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict with the current state'],
  412: ['precondition-failed', 'The version changed since it was read'],
  413: ['payload-too-large', 'The request body is too large'],
  415: ['unsupported-media-type', 'Unsupported content type'],
  422: ['refused', 'The request was understood but refused'],
  428: ['precondition-required', 'An If-Match header is required'],
  429: ['rate-limited', 'Too many requests'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Temporarily unavailable'],
};

export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly code: string | undefined;
  constructor(status: number, detail?: string, opts: { errors?: FieldError[]; headers?: Record<string, string>; code?: string } = {}) {
    super(detail ?? TITLES[status]?.[1] ?? 'Error');
    this.status = status;
    this.detail = detail;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
    this.code = opts.code;
  }

  toDocument(instance?: string) {
    const [slug, title] = TITLES[this.status] ?? ['error', 'Error'];
    return {
      type: `urn:dmp:problem:${this.code ?? slug}`,
      title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const STATUS_OF: Record<ViolationKind, number> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  refused: 422,
};
