/**
 * FHIR R4 OperationOutcome: the one shape every error of a /fhir route takes (the FHIR RESTful
 * API's answer to a problem document). The pipeline builds it from the same status and detail as
 * the /v1 problem document, so a refusal reads the same on both interfaces; a detail never holds
 * PHI (the problem documents' rule).
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** The issue type (http://hl7.org/fhir/issue-type) that says what an HTTP status means. */
const ISSUE_CODE: Record<number, OperationOutcomeIssue['code']> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  409: 'conflict',
  412: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'business-rule',
  428: 'required',
  429: 'throttled',
  503: 'transient',
};

export interface OutcomeIssue {
  /** A FHIRPath-like location of the problem (`DocumentReference.content`, `query._count`). */
  expression?: string;
  diagnostics: string;
}

/**
 * An OperationOutcome for an HTTP status: one issue with the detail, one more per field error.
 * `code`, when given, is the problem document's code (`urn:dmp:problem:<code>`), kept as the
 * issue's details so that clients of both interfaces can tell refusals apart the same way.
 */
export const operationOutcome = (status: number, detail: string, opts: { code?: string | undefined; issues?: readonly OutcomeIssue[] | undefined } = {}): OperationOutcome => {
  const code = ISSUE_CODE[status] ?? (status >= 500 ? 'exception' : 'processing');
  const severity: OperationOutcomeIssue['severity'] = status >= 500 ? 'fatal' : 'error';
  const details = opts.code ? { details: { coding: [{ system: 'urn:dmp:problem', code: opts.code }] } } : {};
  return {
    resourceType: 'OperationOutcome',
    issue: [
      { severity, code, diagnostics: detail, ...details },
      ...(opts.issues ?? []).map((i) => ({ severity, code, diagnostics: i.diagnostics, ...(i.expression ? { expression: [i.expression] } : {}) })),
    ],
  };
};
