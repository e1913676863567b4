/**
 * Minimal PDF files written by hand for the keyword index's tests and bench: one page whose content
 * stream (FlateDecode) shows the given lines with Tj, and a cross-reference table, as a PDF
 * writer would; and hostile ones (garbage, a compression bomb).
 */
import { deflateSync } from 'node:zlib';

/** A PDF string literal: backslashes and parentheses escaped, Latin-1 bytes as octal codes. */
const pdfString = (s: string): string =>
  `(${[...s]
    .map((c) => {
      const code = c.charCodeAt(0);
      if (c === '\\' || c === '(' || c === ')') return `\\${c}`;
      return code > 126 ? `\\${(code & 0xff).toString(8).padStart(3, '0')}` : c;
    })
    .join('')})`;

/** A PDF of one page showing `lines` (Latin-1 text), its content stream compressed. */
export const pdfWithText = (lines: readonly string[], extraStreams: readonly Buffer[] = []): Buffer => {
  const content = Buffer.from(`BT /F1 11 Tf 72 760 Td 14 TL ${lines.map((l) => `${pdfString(l)} Tj T*`).join(' ')} ET`, 'latin1');
  const stream = deflateSync(content);
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>'),
    Buffer.concat([Buffer.from(`<< /Length ${stream.length} /Filter /FlateDecode >>\nstream\n`), stream, Buffer.from('\nendstream')]),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    ...extraStreams.map((s) => Buffer.concat([Buffer.from(`<< /Length ${s.length} /Filter /FlateDecode >>\nstream\n`), s, Buffer.from('\nendstream')])),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  objects.forEach((body, i) => {
    offsets.push(length);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), body, Buffer.from('\nendobj\n')]);
    parts.push(obj);
    length += obj.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`));
  return Buffer.concat(parts);
};

/** A PDF whose one stream inflates to far more than the extractor's budget (about 1 GiB of zeros). */
export const compressionBombPdf = (): Buffer => {
  const chunk = deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  // Sixteen 64 MiB bombs: each one alone is past a small budget.
  return pdfWithText(
    ['Titre'],
    Array.from({ length: 16 }, () => chunk),
  );
};

/** Bytes that start like a PDF and are nothing of the kind. */
export const garbagePdf = (size = 4096): Buffer =>
  Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) % 256)), Buffer.from('\nstream\n\x78\x9c\xff\xff\nendstream\n')]);
