/**
 * The API reference page (GET /docs): the OpenAPI document (GET /openapi.json) rendered in the
 * browser by Scalar's API reference, whose script this API serves itself (GET /docs/scalar.js):
 * nothing is fetched from another origin, neither at build time nor when the page runs.
 *
 * The page has no inline script: the served script is Scalar's standalone bundle followed by the
 * few lines that mount it, so that the page's Content-Security-Policy admits scripts of this
 * origin only ('self'). Both URLs are relative, so the page works under any base path (API
 * Gateway's stage, /api, included).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The file of @scalar/api-reference the page runs: one self-contained script, styles included. */
export const SCALAR_STANDALONE = '@scalar/api-reference/browser/standalone.js';

/** Its name beside the Lambda bundle (the docs manifest's `files` copies it there at bundling). */
export const SCALAR_FILE = 'scalar.js';

/**
 * Scalar's options: the document of this API, and nothing that would reach another origin (its
 * default fonts come from fonts.scalar.com, its telemetry and its "Ask AI" agent from scalar.com);
 * the "test request" client stays: it calls this API, on this origin.
 */
export const SCALAR_CONFIGURATION = {
  url: 'openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  hideDarkModeToggle: false,
  defaultOpenFirstTag: true,
} as const;

/** The element the reference mounts on. */
const MOUNT_ID = 'reference';

/**
 * Where the script is read from: beside the bundle in Lambda (copied there at bundling), else
 * from the installed package (the local runtime and the tests run the sources).
 */
const scalarPath = (): string => {
  const beside = fileURLToPath(new URL(`./${SCALAR_FILE}`, import.meta.url));
  return existsSync(beside) ? beside : createRequire(import.meta.url).resolve(SCALAR_STANDALONE);
};

/** The served script: Scalar's bundle, then the call that mounts it on the page's element. */
export const referenceScript = (): string =>
  `${readFileSync(scalarPath(), 'utf8')}\n;Scalar.createApiReference(${JSON.stringify(`#${MOUNT_ID}`)}, ${JSON.stringify(SCALAR_CONFIGURATION)});\n`;

/** The page: a mount point and the one same-origin script (deferred: it runs once the element exists). */
export const referencePage = (): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DMP API reference</title>
<script src="docs/${SCALAR_FILE}" defer></script>
</head>
<body>
<noscript>This reference needs JavaScript. The API's contract is <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</noscript>
<div id="${MOUNT_ID}"></div>
</body>
</html>
`;
