/** The CORS policy, shared by the functions' response headers (response-headers.ts), API Gateway's preflight and the local server. */
export const CORS = {
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
  exposeHeaders: ['X-Request-Id', 'Retry-After', 'ETag'],
  maxAgeSeconds: 600,
} as const;
