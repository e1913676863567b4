/**
 * An entry of the access log as a FHIR AuditEvent, from the entry as GET …/access-log shows it:
 * who (agent, by IdNat_PS for a professional), what (the trace's action, and the document it
 * concerned), when, in which mode (a break-glass or regulation access as its purpose) and the
 * outcome: a refusal is a failure, with the refusal's code. Its id is derived from the entry (the
 * log gives entries no id of their own), so that the same entry always has the same one.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventAgent } from '@medplum/fhirtypes';
import { DMP_SYSTEM, patientRef, practitionerRef } from './fhir.ts';
import { documentResourceId } from '#domain/fhir/ids';

/** An access log entry as the reader gets it (GET …/access-log). */
export interface TraceEntry {
  at: string;
  actor: { kind: string; id?: string | undefined; profession?: string | undefined };
  action: string;
  mode: 'normal' | 'break-glass' | 'regulation';
  documentId?: string | undefined;
  professionalId?: string | undefined;
  outcome: 'allowed' | 'refused';
  requestId?: string | undefined;
  reason?: string | undefined;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';

/** The FHIR action of a trace's action, by its verb: C(reate), R(ead), U(pdate), D(elete), E(xecute). */
export const auditAction = (action: string): AuditEvent['action'] => {
  const verb = action.slice(action.lastIndexOf('.') + 1);
  if (['read', 'list', 'search', 'due', 'care-team', 'medication-review'].includes(verb)) return 'R';
  if (['create', 'deposit', 'record', 'pair', 'grant', 'consent', 'emergency', 'open', 'write'].includes(verb)) return 'C';
  if (['update', 'change', 'visibility', 'reveal', 'block', 'reissue', 'reactivate'].includes(verb)) return 'U';
  if (['delete', 'remove', 'revoke', 'close'].includes(verb)) return 'D';
  return 'E';
};

const agentOf = (dmpId: string, actor: TraceEntry['actor']): AuditEventAgent => {
  const type = { coding: [{ system: `${DMP_SYSTEM}:actor-kind`, code: actor.kind }] };
  if (actor.kind === 'patient') return { type, who: patientRef(dmpId), requestor: true };
  if (actor.kind === 'professional' && actor.id) {
    return {
      type,
      who: practitionerRef(actor.id),
      ...(actor.profession ? { role: [{ coding: [{ system: `${DMP_SYSTEM}:profession`, code: actor.profession }] }] } : {}),
      requestor: true,
    };
  }
  return { type, ...(actor.id ? { who: { identifier: { system: `${DMP_SYSTEM}:${actor.kind}`, value: actor.id } } } : {}), requestor: true };
};

export const auditEvent = (dmpId: string, t: TraceEntry): AuditEvent => {
  const id = createHash('sha256')
    .update(JSON.stringify([dmpId, t.at, t.actor, t.action, t.requestId ?? '', t.documentId ?? '', t.outcome, t.reason ?? '']))
    .digest('hex')
    .slice(0, 32);
  return {
    resourceType: 'AuditEvent',
    id: `trace-${id}`,
    type: { system: DCM, code: '110110', display: 'Patient Record' },
    subtype: [{ system: `${DMP_SYSTEM}:trace-action`, code: t.action }],
    action: auditAction(t.action),
    recorded: t.at,
    outcome: t.outcome === 'allowed' ? '0' : '4',
    ...(t.reason !== undefined ? { outcomeDesc: t.reason } : {}),
    ...(t.mode === 'break-glass'
      ? { purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: 'BTG', display: 'break the glass' }] }] }
      : t.mode === 'regulation'
        ? { purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: 'ETREAT', display: 'Emergency Treatment' }] }] }
        : {}),
    agent: [agentOf(dmpId, t.actor)],
    source: { observer: { display: 'DMP' } },
    entity: [
      { what: patientRef(dmpId), type: { system: ENTITY_TYPE, code: '1', display: 'Person' } },
      ...(t.documentId !== undefined
        ? [{ what: { reference: `DocumentReference/${documentResourceId(dmpId, t.documentId)}` }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' } }]
        : []),
      ...(t.professionalId !== undefined ? [{ what: practitionerRef(t.professionalId), type: { system: ENTITY_TYPE, code: '1', display: 'Person' } }] : []),
    ],
  };
};
