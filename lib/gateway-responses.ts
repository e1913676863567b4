/**
 * The answers API Gateway gives by itself (no function ran: invalid request, missing token,
 * throttling...), rendered as the contract's RFC 9457 problem documents, with the same `type`
 * slugs as functions/platform/problem.ts and the headers a browser needs to read them.
 *
 * A detail never repeats what the client sent: API Gateway's own validation messages quote the
 * refused value (an INS, a name), so they are not used.
 */
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { CORS } from '../functions/http/cors.ts';

interface GatewayProblem {
  type: apigw.ResponseType;
  /**
   * The status API Gateway answers with. Omitted for the DEFAULT_4XX/DEFAULT_5XX catch-alls, whose
   * status varies and cannot be substituted into the body; RFC 9457 makes the member optional and
   * the HTTP status line stays authoritative.
   */
  status?: number;
  slug: string;
  title: string;
  detail: string;
  headers?: Record<string, string>;
}

/** API Gateway's limit on a REST request; Lambda's own 6 MB limit on synchronous payloads is lower. */
const API_GATEWAY_PAYLOAD_LIMIT = '10 MB';

export const GATEWAY_PROBLEMS: readonly GatewayProblem[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, slug: 'client-error', title: 'The request was refused', detail: 'The request was refused before reaching the service.' },
  { type: apigw.ResponseType.DEFAULT_5XX, slug: 'gateway-error', title: 'Temporarily unavailable', detail: 'The request could not be handled. Retry later.' },
  {
    type: apigw.ResponseType.BAD_REQUEST_BODY,
    status: 400,
    slug: 'invalid-request',
    title: 'The request is not valid',
    detail: 'The body does not match the contract of this operation.',
  },
  {
    type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
    status: 400,
    slug: 'invalid-request',
    title: 'The request is not valid',
    detail: 'A required path or query parameter is missing.',
  },
  {
    type: apigw.ResponseType.UNAUTHORIZED,
    status: 401,
    slug: 'unauthenticated',
    title: 'Missing or invalid credentials',
    detail: 'A valid bearer token is required.',
    headers: { 'WWW-Authenticate': 'Bearer' },
  },
  { type: apigw.ResponseType.ACCESS_DENIED, status: 403, slug: 'forbidden', title: 'Not allowed', detail: 'This token does not allow this operation.' },
  // An unknown path or method: API Gateway says 403 "Missing Authentication Token"; the contract
  // (and the local server) say 404.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 404, slug: 'not-found', title: 'Not found', detail: 'No such operation.' },
  { type: apigw.ResponseType.WAF_FILTERED, status: 403, slug: 'forbidden', title: 'Not allowed', detail: 'The request was blocked by the firewall.' },
  {
    type: apigw.ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    slug: 'payload-too-large',
    title: 'The request body is too large',
    detail: `The request exceeds the ${API_GATEWAY_PAYLOAD_LIMIT} API Gateway accepts.`,
  },
  {
    type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    slug: 'unsupported-media-type',
    title: 'Unsupported content type',
    detail: 'The body must be application/json (UTF-8).',
  },
  {
    type: apigw.ResponseType.THROTTLED,
    status: 429,
    slug: 'rate-limited',
    title: 'Too many requests',
    detail: 'Too many requests. Retry after the delay given by Retry-After.',
    headers: { 'Retry-After': '1' },
  },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    slug: 'unavailable',
    title: 'Temporarily unavailable',
    detail: 'The service did not answer in time. Retry later, with the same Idempotency-Key.',
  },
];

/**
 * Headers of every gateway response. Content-Security-Policy is left out: its value needs single
 * quotes, which API Gateway's quoted static values cannot hold, and a problem document served as
 * application/problem+json with nosniff has no active content to protect.
 */
const commonHeaders = (allowedOrigin: string): Record<string, string> => ({
  'Content-Type': 'application/problem+json',
  'Cache-Control': 'no-store',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Access-Control-Allow-Origin': allowedOrigin,
  'Access-Control-Expose-Headers': CORS.exposeHeaders.join(','),
  Vary: 'Origin',
});

/** API Gateway wants static header values in single quotes. */
const quoted = (headers: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));

const problemTemplate = (p: GatewayProblem): string =>
  JSON.stringify({
    type: `urn:dmp:problem:${p.slug}`,
    title: p.title,
    ...(p.status === undefined ? {} : { status: p.status }),
    detail: p.detail,
    instance: '$context.requestId',
  });

export const addProblemResponses = (api: apigw.RestApi, allowedOrigin: string): void => {
  for (const p of GATEWAY_PROBLEMS) {
    api.addGatewayResponse(p.type.responseType, {
      type: p.type,
      ...(p.status === undefined ? {} : { statusCode: String(p.status) }),
      responseHeaders: quoted({ ...commonHeaders(allowedOrigin), ...p.headers }),
      templates: { 'application/json': problemTemplate(p) },
    });
  }
};
