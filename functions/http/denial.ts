/** A refusal of the access policy, as the client reads it: 404 for what the caller may not know exists. */
import type { Denial } from '#domain/access-policy';
import { refuse } from '#domain/errors';
import { HttpProblem } from '#platform/problem';

export const denied = (d: Denial): never => {
  switch (d.answer) {
    case 'not-found':
      throw new HttpProblem(404, d.reason, { code: d.code });
    case 'forbidden':
      return refuse('forbidden', d.code, d.reason);
    case 'conflict':
      return refuse('conflict', d.code, d.reason);
    case 'refused':
      return refuse('refused', d.code, d.reason);
  }
};
