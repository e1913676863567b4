/**
 * Calls a capability's use cases in process, as the pipeline (functions/http/pipeline.ts) does once
 * it has authenticated the caller: body, params and query through the route's schemas (a test input
 * the contract refuses is a mistake of the test), the reply checked against the responses the
 * route declares, and a refusal turned into its status and code as the pipeline answers it.
 */
import { safeParse, type $ZodType } from 'zod/v4/core';
import type { Actor } from '../../functions/domain/actor.ts';
import { RuleViolation } from '../../functions/domain/errors.ts';
import type { CapabilityDef } from '../../functions/http/define-capability.ts';
import { HttpProblem, STATUS_OF } from '../../functions/platform/problem.ts';

export interface Outcome {
  status: number;
  body?: any;
  headers: Record<string, string>;
  /** A refusal's code (RuleViolation or HttpProblem), when it has one. */
  code?: string | undefined;
}

export interface Input {
  body?: unknown;
  params?: unknown;
  query?: unknown;
  idempotencyKey?: string;
  sourceIp?: string;
  requestId?: string;
}

const parse = (schema: $ZodType | undefined, value: unknown, where: string): unknown => {
  if (!schema) return {};
  const out = safeParse(schema, value);
  if (!out.success) throw new Error(`test input: the ${where} does not match the contract: ${out.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return out.data;
};

let requests = 0;

/** `call(routeId, actor, input)` on the capability's use cases with these dependencies. */
export const caller =
  <D>(capability: CapabilityDef<D>, deps: D) =>
  async (id: string, actor: Actor, input: Input = {}): Promise<Outcome> => {
    const route = capability.manifest.find((r) => r.id === id);
    const impl = capability.routes[id];
    if (!route || !impl) throw new Error(`no route ${id} in ${capability.name}`);
    const call = {
      actor,
      body: route.body ? parse(route.body, input.body ?? (route.bodyOptional ? {} : undefined), 'body') : undefined,
      params: parse(route.params, input.params ?? {}, 'params'),
      query: parse(route.query, input.query ?? {}, 'query'),
      idempotencyKey: input.idempotencyKey,
      requestId: input.requestId ?? `req-${++requests}`,
      sourceIp: input.sourceIp ?? '192.0.2.10',
    };
    try {
      const reply = await impl(call, deps);
      const declared = route.responses[reply.status];
      if (!declared) throw new Error(`route ${id} answered ${reply.status}, which the manifest does not declare`);
      if (declared.schema) parse(declared.schema, reply.body, `${id} response`);
      return { status: reply.status, body: reply.body, headers: reply.headers ?? {} };
    } catch (error) {
      if (error instanceof HttpProblem) return { status: error.status, headers: error.headers, code: error.code };
      if (error instanceof RuleViolation) return { status: STATUS_OF[error.kind], headers: {}, code: error.code };
      throw error;
    }
  };
