/**
 * The rules of a profile's PUT, pure: what keeps its provenance, what becomes the writer's, what a
 * professional may not touch, which ids are refused, and the days out of range.
 */
import { describe, expect, it } from 'vitest';
import { daysOutOfRange, EMPTY_PROFILE, mergeProfile, type HealthProfile, type ProfileInput, type Writer } from '../../functions/capabilities/health/rules.ts';

const T0 = '2026-11-01T10:00:00.000Z';
const NOW = '2026-11-23T10:00:00.000Z';
const patient: Writer = { source: 'patient', id: 'rec-1' };
const doctor: Writer = { source: 'professional', id: '810000000001', profession: '10' };
const nurse: Writer = { source: 'professional', id: '810000000002', profession: '60' };
const by = (w: Writer, at = T0) => ({ source: w.source, author: { id: w.id, ...(w.profession ? { profession: w.profession } : {}) }, recordedAt: at });

const current: HealthProfile = {
  bloodGroup: { abo: 'A', rh: '+', ...by(patient) },
  weight: { kg: 70, ...by(patient) },
  allergies: [
    { id: 'aaaaaaaaaaaaaaaa', substance: 'arachide', category: 'food', criticality: 'high', ...by(patient) },
    { id: 'bbbbbbbbbbbbbbbb', substance: 'pénicilline', category: 'medication', criticality: 'high', ...by(doctor) },
  ],
  conditions: [{ id: 'cccccccccccccccc', text: 'asthme', since: '1990-01-01', ...by(nurse) }],
  treatments: [],
  updatedAt: T0,
};
/** The current profile as a PUT sends it back, unchanged. */
const same = (): ProfileInput => ({
  bloodGroup: { abo: 'A', rh: '+' },
  weight: { kg: 70 },
  allergies: [
    { id: 'aaaaaaaaaaaaaaaa', substance: 'arachide', category: 'food', criticality: 'high' },
    { id: 'bbbbbbbbbbbbbbbb', substance: 'pénicilline', category: 'medication', criticality: 'high' },
  ],
  conditions: [{ id: 'cccccccccccccccc', text: 'asthme', since: '1990-01-01' }],
  treatments: [],
});
let ids = 0;
const newId = () => `new${String(++ids).padStart(13, '0')}`;

describe('mergeProfile', () => {
  it('keeps the provenance of every element sent back unchanged, whoever writes', () => {
    for (const writer of [patient, doctor]) {
      const merged = mergeProfile(current, same(), writer, NOW, newId);
      expect(merged).toEqual({ ok: true, profile: { ...current, updatedAt: NOW } });
    }
  });

  it('gives the writer the elements it adds or changes; the patient changes and removes anyone’s', () => {
    const body = same();
    body.allergies = [{ ...body.allergies[1]!, criticality: 'low' }];
    body.bloodGroup = { abo: 'O', rh: '-' };
    body.treatments = [{ medication: 'ventoline' }];
    const merged = mergeProfile(current, body, patient, NOW, newId);
    if (!merged.ok) throw new Error(JSON.stringify(merged));
    expect(merged.profile.allergies).toEqual([{ id: 'bbbbbbbbbbbbbbbb', substance: 'pénicilline', category: 'medication', criticality: 'low', ...by(patient, NOW) }]);
    expect(merged.profile.bloodGroup).toEqual({ abo: 'O', rh: '-', ...by(patient, NOW) });
    expect(merged.profile.weight).toEqual(current.weight);
    expect(merged.profile.treatments).toEqual([{ id: expect.stringMatching(/^new/), medication: 'ventoline', ...by(patient, NOW) }]);
  });

  it('lets a professional add entries and change or remove its own, nothing else', () => {
    const adds = same();
    adds.conditions = [...adds.conditions, { text: 'hypertension' }];
    adds.allergies = [adds.allergies[0]!];
    const merged = mergeProfile(current, adds, doctor, NOW, newId);
    if (!merged.ok) throw new Error(JSON.stringify(merged));
    expect(merged.profile.conditions[1]).toEqual({ id: expect.any(String), text: 'hypertension', ...by(doctor, NOW) });
    expect(merged.profile.allergies.map((a) => a.id)).toEqual(['aaaaaaaaaaaaaaaa']);

    const touches = same();
    touches.weight = undefined;
    touches.allergies = [{ ...touches.allergies[0]!, reaction: 'oedème' }, touches.allergies[1]!];
    touches.conditions = [];
    expect(mergeProfile(current, touches, doctor, NOW, newId)).toEqual({
      ok: false,
      refusal: 'not-yours',
      errors: [
        { path: 'body.weight', message: 'only the patient or a representative sets it' },
        { path: 'body.allergies.0', message: 'a professional changes only the entries it recorded itself' },
        { path: 'body.conditions', message: 'entry cccccccccccccccc is missing: a professional removes only the entries it recorded itself' },
      ],
    });
  });

  it('refuses an id the list does not hold, an id of another list and an id sent twice', () => {
    const body = same();
    body.allergies = [body.allergies[0]!, body.allergies[0]!, body.allergies[1]!];
    body.treatments = [{ id: 'cccccccccccccccc', medication: 'x' }];
    const merged = mergeProfile(current, body, patient, NOW, newId);
    expect(merged).toEqual({
      ok: false,
      refusal: 'invalid',
      errors: [
        { path: 'body.allergies.1.id', message: 'this id is sent twice' },
        { path: 'body.treatments.0.id', message: 'no entry of treatments has this id' },
      ],
    });
  });

  it('writes a first profile from the empty one', () => {
    const merged = mergeProfile(EMPTY_PROFILE, { allergies: [], conditions: [{ text: 'x' }], treatments: [] }, patient, NOW, newId);
    expect(merged.ok && merged.profile.conditions).toEqual([{ id: expect.any(String), text: 'x', ...by(patient, NOW) }]);
  });
});

describe('daysOutOfRange', () => {
  it('refuses a day after today or before the birth date, and admits both bounds', () => {
    const days: [string, string | undefined][] = [
      ['a', '1975-03-13'],
      ['b', '1975-03-14'],
      ['c', '2026-11-23'],
      ['d', '2026-11-24'],
      ['e', undefined],
    ];
    expect(daysOutOfRange(days, '1975-03-14', '2026-11-23')).toEqual([
      { path: 'a', message: 'a day not before the birth date' },
      { path: 'd', message: 'a day not in the future' },
    ]);
  });
});
