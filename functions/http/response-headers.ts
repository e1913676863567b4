/**
 * The headers every answer of the API carries, problem documents included: security headers for a
 * JSON API (and the one HTML page, /docs), and CORS for the one browser origin the configuration
 * admits. Preflight requests never reach a function: API Gateway answers them (lib/api.ts), and
 * the local server does the same from functions/http/cors.ts.
 *
 * Written here rather than with @middy/http-cors and @middy/http-security-headers: with a single
 * exact origin and a constant header set there is nothing to configure, and those two packages
 * added about 3.5 ms to every function's cold start (`npm run bench`), against a budget of 20 %
 * over the AWS SDK floor.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { CORS } from './cors.ts';
import { requestHeader } from './request-header.ts';

/** Features a page of this API never uses, refused to anything it could embed. */
const NO_FEATURES = ['accelerometer', 'camera', 'display-capture', 'fullscreen', 'geolocation', 'gyroscope', 'magnetometer', 'microphone', 'payment', 'usb'];

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Nothing loads from an answer (the /docs page has its own policy, DOCS_PAGE_CSP).
  'Content-Security-Policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox",
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'Permissions-Policy': NO_FEATURES.map((f) => `${f}=()`).join(', '),
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Frame-Options': 'DENY',
  'X-Permitted-Cross-Domain-Policies': 'none',
});

/**
 * The policy of the /docs page alone (its handler sets it, replacing the one above): scripts, the
 * OpenAPI document, images and fonts come from this origin only; nothing loads from anywhere else.
 *
 * Styles also admit 'unsafe-inline': the renderer (Scalar: Vue, CodeMirror) adds its styles at run
 * time, as <style> elements whose text it generates (theme, editor) and as style attributes; it
 * takes no nonce, and hashes can neither follow generated text nor apply to style attributes. An
 * injected style could not send anything away: images, fonts and fetches reach this origin only.
 */
export const DOCS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * CORS for an actual request: the allowed origin, compared exactly, is echoed with the headers a
 * script may read; any other origin gets no CORS header, so the browser withholds the answer.
 * `Vary: Origin` always, since the answer depends on it.
 */
export const corsHeaders = (origin: string | undefined, allowedOrigin: string): Record<string, string> =>
  origin !== undefined && origin === allowedOrigin
    ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': CORS.exposeHeaders.join(','), Vary: 'Origin' }
    : { Vary: 'Origin' };

/** The middy middleware that puts both on every response; a header the handler set wins. */
export const responseHeaders = (allowedOrigin: string): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  after: (request) => {
    if (!request.response) return;
    request.response.headers = { ...SECURITY_HEADERS, ...corsHeaders(requestHeader(request.event, 'origin'), allowedOrigin), ...request.response.headers };
  },
});
