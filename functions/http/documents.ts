/** Lambda entry of the documents capability. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { withDocuments } from '#platform/deps-documents';
import { documents } from './capabilities/documents.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(documents, withDocuments(cryptoDeps(configFromEnv())));
