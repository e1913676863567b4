/**
 * Reference data from the repository's data/ folder, loaded as data (bundled as JSON by esbuild,
 * imported as JSON by Node): document types with their classes, profession codes, the default
 * access matrix.
 */
import documentTypes from '../../data/document-types.json' with { type: 'json' };
import professions from '../../data/professions.json' with { type: 'json' };
import accessMatrix from '../../data/access-matrix.json' with { type: 'json' };

export interface DocumentType {
  typeCode: string;
  display: string;
  classCode: string;
}

const typesByCode = new Map<string, DocumentType>(documentTypes.types.map((t) => [t.typeCode, t]));
const professionCodes = new Set<string>(professions.professions.map((p) => p.code));

export const documentType = (typeCode: string): DocumentType | undefined => typesByCode.get(typeCode);
export const isProfessionCode = (code: string): boolean => professionCodes.has(code);
export const PHARMACIST = '21';

export interface AccessMatrix {
  read: Record<string, string[]>;
  exceptions: { typeCode: string; readableBy: string[] }[];
}
export const defaultAccessMatrix: AccessMatrix = accessMatrix;
