/**
 * Every Lambda entry bundles with the options CDK uses (lib/dmp-function.ts), stays under 1 MB,
 * and loads in a fresh Node 24 process with its configuration, exporting `handler`: what
 * `cdk deploy` would ship, checked without CDK's slower synthesis.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { DOCS } from '../../functions/capabilities/docs/routes.ts';
import { bundledFiles } from '../../lib/dmp-function.ts';
import { FUNCTIONS, LAMBDA_BUNDLING, LAMBDA_ENV } from '../support/lambda-bundles.ts';

const out = mkdtempSync(join(tmpdir(), 'dmp-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const MAX_BYTES = 1_000_000;

describe('Lambda bundles', () => {
  it.each(FUNCTIONS.map((f) => [f.name, f.entry]))('%s (%s) bundles under 1 MB and loads', async (name, entry) => {
    const outfile = join(out, `${name}.mjs`);
    const result = await build({ ...LAMBDA_BUNDLING, entryPoints: [entry], outfile, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    expect(statSync(outfile).size).toBeLessThan(MAX_BYTES);
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(outfile).href)}); console.log(typeof m.handler);`],
      { env: { PATH: process.env.PATH, ...LAMBDA_ENV }, encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('function');
  });

  it('docs: the reference page’s script is not in the bundle but beside it, as CDK copies it, and the bundle serves it', async () => {
    const dir = join(out, 'docs-asset');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.mjs');
    await build({ ...LAMBDA_BUNDLING, entryPoints: ['functions/capabilities/docs/handler.ts'], outfile, logLevel: 'silent' });
    const files = bundledFiles(DOCS.function.files);
    expect(files.map((f) => f.name)).toEqual(['scalar.js']);
    for (const { name, source } of files) copyFileSync(source, join(dir, name));
    const script = join(dir, 'scalar.js');
    expect(statSync(outfile).size).toBeLessThan(statSync(script).size / 10);
    /** GET /docs/scalar.js through the bundle, in a fresh process outside the repository (no node_modules, as in Lambda). */
    const serve = () => {
      const event = { resource: '/docs/scalar.js', path: '/docs/scalar.js', httpMethod: 'GET', headers: {}, requestContext: { requestId: 'r' } };
      const child = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { handler } = await import(${JSON.stringify(pathToFileURL(outfile).href)}); const res = await handler(${JSON.stringify(event)}, {}); console.log(JSON.stringify({ status: res.statusCode, type: res.headers['Content-Type'], bytes: Buffer.byteLength(res.body), tail: res.body.slice(-600) }));`,
        ],
        { cwd: dir, env: { PATH: process.env.PATH, ...LAMBDA_ENV, AWS_LAMBDA_LOG_LEVEL: 'FATAL' }, encoding: 'utf8' },
      );
      return { ...JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}'), stderr: child.stderr };
    };
    const served = serve();
    expect(served.stderr).toBe('');
    expect(served).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(served.bytes).toBeGreaterThan(statSync(script).size);
    expect(served.tail).toContain('Scalar.createApiReference(');
    // Without the copy beside it, the bundle has nothing to serve (and logs the failure).
    rmSync(script);
    const missing = serve();
    expect(missing.status).toBe(500);
    expect(missing.stderr).toContain("Cannot find module '@scalar/api-reference");
  });

  it('carry no AWS SDK code a function does not use (bytes in the output, after tree-shaking)', async () => {
    const sdkBytes = async (entry: string, pkg: string): Promise<number> => {
      const result = await build({ ...LAMBDA_BUNDLING, entryPoints: [entry], outfile: join(out, 'check.mjs'), metafile: true, logLevel: 'silent' });
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
      return Object.entries(output?.inputs ?? {})
        .filter(([path]) => path.includes(pkg))
        .reduce((sum, [, i]) => sum + i.bytesInOutput, 0);
    };
    expect(await sdkBytes('functions/capabilities/docs/handler.ts', '@aws-sdk/')).toBe(0);
    // The authorizer reads the session key's public half (KMS) and, for a paired device's
    // credential, its item (DynamoDB, a client it creates on the first device credential only).
    expect(await sdkBytes('functions/http/authorizer.ts', '@aws-sdk/client-dynamodb')).toBeGreaterThan(0);
    expect(await sdkBytes('functions/http/authorizer.ts', '@aws-sdk/client-sns')).toBe(0);
    expect(await sdkBytes('functions/capabilities/records/handler.ts', '@aws-sdk/client-sns')).toBe(0);
    expect(await sdkBytes('functions/capabilities/reporting/handler.ts', '@aws-sdk/client-kms')).toBe(0);
    expect(await sdkBytes('functions/jobs/outbox.ts', '@aws-sdk/client-sns')).toBeGreaterThan(0);
    // Retention destroys wrapped keys without opening them: it has no KMS permission, nor client.
    expect(await sdkBytes('functions/jobs/retention.ts', '@aws-sdk/client-kms')).toBe(0);
    // Nor does the uploads job, which deletes sealed chunks unopened.
    expect(await sdkBytes('functions/jobs/uploads.ts', '@aws-sdk/client-kms')).toBe(0);
    // Only the outbox dispatcher and auth publish to SNS: documents, access and visibility write
    // their notifications into the outbox.
    for (const entry of ['functions/capabilities/documents/handler.ts', 'functions/capabilities/access/handler.ts', 'functions/jobs/visibility.ts']) {
      expect(await sdkBytes(entry, '@aws-sdk/client-sns'), entry).toBe(0);
    }
    // Only the claims import reads S3 and sends to SQS (functions/adapters/aws.ts creates those
    // clients beside the others: tree-shaking keeps them out of every other bundle).
    expect(await sdkBytes('functions/jobs/claims-import.ts', '@aws-sdk/client-s3')).toBeGreaterThan(0);
    for (const entry of ['functions/capabilities/records/handler.ts', 'functions/jobs/outbox.ts', 'functions/http/authorizer.ts']) {
      expect(await sdkBytes(entry, '@aws-sdk/client-s3'), entry).toBe(0);
      expect(await sdkBytes(entry, '@aws-sdk/client-sqs'), entry).toBe(0);
    }
  });
});
