/**
 * The text of documents for the keyword index (functions/adapters/text-extraction.ts, pdf-text.ts):
 * plain text, the narrative of a CDA, the text fields of FHIR JSON, the text layer of a PDF written
 * here by hand; hostile or broken files give `unreadable` within their bounds (a worker thread with
 * a deadline and a heap limit), never an exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import { pdfText } from '../../functions/adapters/pdf-text.ts';
import { EXTRACTION_LIMITS, extractText } from '../../functions/adapters/text-extraction.ts';
import { words } from '../../functions/domain/search/words.ts';
import { compressionBombPdf, garbagePdf, pdfWithText } from '../support/pdf.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const indexed = async (contentType: string, content: Buffer): Promise<string> => {
  const out = await extractText(contentType, content);
  if (out.state !== 'indexed') throw new Error(`not indexed: ${JSON.stringify(out)}`);
  return out.text;
};

const CDA = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <title>Compte rendu d&apos;hospitalisation</title>
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.8" extension="NE_PAS_INDEXER"/></patientRole></recordTarget>
  <component><structuredBody><component><section>
    <code code="10164-2" codeSystem="2.16.840.1.113883.6.1"/>
    <title>Histoire de la maladie</title>
    <text><paragraph>Allergie à l&#39;amoxicilline &amp; <content>œdème</content> de Quincke.</paragraph>
      <table><tr><td>HbA1c</td><td>7,2 %</td></tr></table>&xxe;</text>
  </section></component></structuredBody></component>
</ClinicalDocument>`;

const FHIR = JSON.stringify({
  resourceType: 'Bundle',
  type: 'document',
  entry: [
    {
      resource: {
        resourceType: 'Composition',
        title: 'Synthèse médicale',
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Asthme <b>allergique</b></p></div>' },
      },
    },
    { resource: { resourceType: 'Observation', code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hémoglobine A1c' }] }, valueQuantity: { value: 7.2 } } },
    { resource: { resourceType: 'Binary', contentType: 'application/pdf', data: Buffer.from('Canary binaire').toString('base64') } },
  ],
});

describe('extractText', () => {
  it('reads plain text as it is', async () => {
    expect(await indexed('text/plain', utf8("Scanner du thorax : pas d'anomalie."))).toBe("Scanner du thorax : pas d'anomalie.");
  });

  it('reads the narrative of a CDA (titles and text), not its coded header, and expands no external entity', async () => {
    const text = await indexed('text/xml', utf8(CDA));
    expect(words(text)).toEqual(expect.arrayContaining(words('allergie amoxicilline œdème Quincke HbA1c hospitalisation histoire maladie')));
    expect(text).not.toContain('NE_PAS_INDEXER');
    expect(text).not.toContain('root:');
  });

  it('reads the text fields of FHIR JSON (narrative, titles, displays, codes), not its binary data', async () => {
    const text = await indexed('application/fhir+json', utf8(FHIR));
    expect(words(text)).toEqual(expect.arrayContaining(words('synthèse médicale asthme allergique 4548-4 hémoglobine A1c')));
    expect(text).not.toContain('Canary');
    expect(await extractText('application/fhir+json', utf8('{"resourceType": '))).toEqual({ state: 'unreadable', reason: 'format' });
  });

  it('reads the text layer of a PDF, accents included', async () => {
    const pdf = pdfWithText(['Compte rendu de scanner thoracique', 'Allergie à la pénicilline (réaction cutanée)', 'Code 4548-4']);
    const text = await indexed('application/pdf', pdf);
    expect(words(text)).toEqual(words('compte rendu de scanner thoracique allergie à la pénicilline réaction cutanée code 4548-4'));
  });

  it('reads a PDF whose font maps its codes through a ToUnicode map', () => {
    const cmap = '/CIDInit /ProcSet findresource begin begincmap 2 beginbfchar <0001> <0053> <0002> <00E9> endbfchar 1 beginbfrange <0003> <0005> <0061> endbfrange endcmap';
    const content = 'BT /F1 12 Tf <0001000200030004> Tj ET';
    const pdf = Buffer.from(`%PDF-1.5\n1 0 obj\n<< >>\nstream\n${cmap}\nendstream\nendobj\n2 0 obj\n<< >>\nstream\n${content}\nendstream\nendobj\n`, 'latin1');
    expect(pdfText(pdf, EXTRACTION_LIMITS)).toBe('Séab');
  });

  it('has no text for images, and does not open them', async () => {
    expect(await extractText('image/jpeg', Buffer.from([0xff, 0xd8, 0xff]))).toEqual({ state: 'none' });
  });

  it('gives `unreadable` for what is not a PDF, and an empty text for a PDF of garbage', async () => {
    expect(await extractText('application/pdf', utf8('Canary: not a PDF at all'))).toEqual({ state: 'unreadable', reason: 'format' });
    const garbage = await extractText('application/pdf', garbagePdf(200_000));
    expect(garbage.state).toBe('indexed');
    expect(garbage.state === 'indexed' && words(garbage.text)).toEqual([]);
  });

  it('stops inflating a compression bomb at its budget', async () => {
    const started = Date.now();
    const out = await extractText('application/pdf', compressionBombPdf(), { ...EXTRACTION_LIMITS, maxInflatedBytes: 8 * 1024 * 1024 });
    expect(out).toEqual({ state: 'indexed', text: expect.stringContaining('Titre') });
    expect(Date.now() - started).toBeLessThan(EXTRACTION_LIMITS.timeoutMs);
  });

  it('stops a worker at its deadline, and at its heap limit', async () => {
    const big = pdfWithText(Array.from({ length: 40_000 }, (_, i) => `Ligne ${i} du compte rendu de scanner`));
    expect(await extractText('application/pdf', big, { ...EXTRACTION_LIMITS, timeoutMs: 5 })).toEqual({ state: 'unreadable', reason: 'timeout' });
    // A heap far too small for the text it holds: the worker dies of it, the caller does not.
    expect(await extractText('application/pdf', big, { ...EXTRACTION_LIMITS, heapMb: 8 })).toEqual({ state: 'unreadable', reason: 'memory' });
    // And the same document, with its bounds, reads.
    expect(words(await indexed('application/pdf', big)).slice(0, 4)).toEqual(['lign', '0', 'compt', 'rendu']);
  });
});
