/** The keyword search over real HTTP, as the end-to-end tests call it. */
import type { Answer, TestApi } from './runtime.ts';

/** One item a search returns. */
export interface SearchHit {
  kind: string;
  id: string;
  date: string;
  title: string;
  field: string;
}

/** GET /v1/records/{dmpId}/search?<query>, the answer as it came (status and body). */
export const searchRecord = (api: TestApi, dmpId: string, token: string, query: string): Promise<Answer<{ items: SearchHit[]; nextCursor: string | null }>> =>
  api.call('GET', `/v1/records/${dmpId}/search?${query}`, { token });
