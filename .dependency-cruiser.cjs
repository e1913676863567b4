/**
 * Dependency rules (`npm run deps`, part of `npm test`): dependency-cruiser.
 *
 * Layers of functions/, each importing only from the layers to its left:
 *
 *   domain ← adapters ← platform ← http ← capabilities ← (bin, lib, test)
 *                                 ↖ jobs (beside capabilities: background Lambda entries)
 *
 * - domain/:       the rules, pure: no AWS SDK, no other layer.
 * - adapters/:     AWS and crypto behind the domain's ports; they know the domain only.
 * - platform/:     configuration, logging, dependency wiring.
 * - http/:         the request pipeline, route and capability types, shared schemas and HTTP mechanisms.
 * - capabilities/: one folder per capability (routes.ts, schemas.ts, use cases, handler.ts); a
 *                  capability imports no other capability folder, only shared modules
 *                  (files directly in functions/capabilities/, such as common.ts), and another's
 *                  data through that capability's store (store.ts) or reader (reader.ts) only.
 * - jobs/:         background Lambda entries; they may wire a capability's own store (the documents
 *                  jobs), never its routes or use cases; capabilities import no job.
 * - lib/ (CDK):    reads the route manifest and the types it is made of, and the storage contract,
 *                  not the runtime code.
 *
 * Type-only imports count (tsPreCompilationDeps): a type import is still a dependency of the
 * design, and a cycle through one is still a cycle. Tests and bin/ may import any layer.
 */

/**
 * What lib/ may read of functions/: the route manifest with the types and schemas it is made of, the
 * CORS policy, and the storage contract: the constants that the infrastructure creates and the
 * adapters use (table keys and indexes, KMS encryption contexts), in a module that holds only them.
 */
const STORAGE_CONTRACT = '^functions/adapters/storage-contract[.]ts$';
const INFRASTRUCTURE_READS = [
  '^functions/http/(route|capability|schemas|cors)[.]ts$',
  // The list of capabilities (the manifest), and each capability's routes and schemas.
  '^functions/capabilities/index[.]ts$',
  '^functions/capabilities/[^/]+/(routes|schemas)[.]ts$',
  STORAGE_CONTRACT,
  // The service's metrics (names, dimensions), which the functions emit and the alarms watch.
  '^functions/domain/metrics[.]ts$',
];

const LAYER = (name) => `^functions/${name}/`;

module.exports = {
  forbidden: [
    // --- structure ---------------------------------------------------------------------------------
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle (type-only imports included) ties modules that should be layered; break it by moving the shared type or value to the lower module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve (also what keeps the #domain/* etc. subpath imports of package.json honest: an unresolved one would escape every rule below).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment: 'A package that is not in package.json: it works only while something else happens to install it.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'functions-not-to-dev-dependencies',
      severity: 'error',
      comment: 'Lambda bundles are built from dependencies only: runtime code must not import a devDependency (types from @types/* are fine).',
      from: { path: '^functions/', pathNot: '[.]test[.]ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: '(^|/)node_modules/@types/' },
    },
    {
      name: 'functions-not-to-lib-bin-test',
      severity: 'error',
      comment: 'Runtime code never imports the infrastructure (lib/), the CDK app and local tools (bin/) or the tests (test/).',
      from: { path: '^functions/', pathNot: '[.]test[.]ts$' },
      to: { path: '^(lib|bin|test)/' },
    },
    {
      name: 'production-not-to-test',
      severity: 'error',
      comment: 'lib/ and bin/ do not import test code.',
      from: { path: '^(lib|bin)/' },
      to: { path: '^test/' },
    },

    // --- layers of functions/ -------------------------------------------------------------------------
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'The domain imports no adapter, platform, http, capability or job code.',
      from: { path: LAYER('domain') },
      to: { path: '^functions/(adapters|platform|http|capabilities|jobs)/' },
    },
    {
      name: 'domain-not-to-aws',
      severity: 'error',
      comment: 'The domain imports no AWS SDK, Lambda, middy or CDK package: those belong to adapters, http and lib.',
      from: { path: LAYER('domain') },
      to: { path: '(^|/)node_modules/(@aws-sdk|@smithy|@middy|@types/aws-lambda|aws-cdk-lib|aws-cdk|constructs|cdk-nag)/' },
    },
    {
      name: 'use-cases-through-ports',
      severity: 'error',
      comment:
        'Use cases (use-cases.ts and the shared common.ts) reach persistence, KMS and SNS only through the ports of the domain (functions/domain/ports.ts, stores.ts) that their deps carry: no AWS SDK, no store. They may use the pure crypto of the adapters (sealing with a data key, opening a record, password hashes).',
      from: { path: '^functions/capabilities/(common[.]ts|[^/]+/use-cases[.]ts)$' },
      to: {
        path: ['(^|/)node_modules/(@aws-sdk|@smithy)/', '^functions/adapters/'],
        pathNot: '^functions/adapters/(envelope|record-sealing|passwords)[.]ts$',
      },
    },
    {
      name: 'adapters-below-platform',
      severity: 'error',
      comment:
        'Adapters know the domain (its ports and types) only: no platform (config, logger, deps), http, capability or job code. A type they need from above moves down (the Logger port to the domain, SessionConfig to the adapter).',
      from: { path: LAYER('adapters') },
      to: { path: '^functions/(platform|http|capabilities|jobs)/' },
    },
    {
      name: 'platform-below-http',
      severity: 'error',
      comment: 'The platform (config, logging, wiring) imports no http, capability or job code.',
      from: { path: LAYER('platform') },
      to: { path: '^functions/(http|capabilities|jobs)/' },
    },
    {
      name: 'http-below-capabilities',
      severity: 'error',
      comment: 'Shared HTTP mechanisms import no capability folder and no job: a capability plugs into them, not the reverse.',
      from: { path: LAYER('http') },
      to: { path: '^functions/(capabilities|jobs)/' },
    },
    {
      name: 'jobs-beside-capabilities',
      severity: 'error',
      comment:
        'Jobs (background Lambda entries) import no http code, and of a capability only its own stores (store.ts, <name>-store.ts) and the claims ingestion core, which the claims import shares with the claims route.',
      from: { path: LAYER('jobs') },
      to: { path: '^functions/(http|capabilities)/', pathNot: ['^functions/capabilities/[^/]+/(store|[a-z]+-store)[.]ts$', '^functions/capabilities/claims/(ingest|deps)[.]ts$'] },
    },
    {
      name: 'capabilities-not-to-jobs',
      severity: 'error',
      comment: 'Capabilities import no job entry: what both need lives in adapters or domain.',
      from: { path: LAYER('capabilities') },
      to: { path: LAYER('jobs') },
    },
    {
      name: 'capability-not-to-other-capability',
      severity: 'error',
      comment:
        'A capability folder imports no other capability folder; what two capabilities share lives in a file directly in functions/capabilities/ (common.ts) or a lower layer. One that shows another’s data (the vaccination record shows the claims history’s deliveries) reads it through that capability’s store.ts or reader.ts, deciding access itself, never through its routes, use cases or handler.',
      from: { path: '^functions/capabilities/([^/]+)/', pathNot: '^functions/capabilities/(emergency|fhir-health|fhir)/' },
      to: { path: '^functions/capabilities/[^/]+/', pathNot: ['^functions/capabilities/$1/', '^functions/capabilities/[^/]+/(store|reader)[.]ts$'] },
    },
    {
      name: 'emergency-summary-reads-through-readers',
      severity: 'error',
      comment:
        'The emergency summary is a read model over the other capabilities (one answer for a SAMU regulator): it reads their items through their stores and readers (store.ts, <name>-store.ts, deps.ts, reader.ts, history.ts, summary.ts) and shows them with their views and answer schemas (views.ts, schemas.ts), never through their use cases or routes, and writes nothing of theirs.',
      from: { path: '^functions/capabilities/emergency/' },
      to: {
        path: '^functions/capabilities/[^/]+/',
        pathNot: ['^functions/capabilities/emergency/', '^functions/capabilities/[^/]+/(store|[a-z]+-store|deps|reader|history|summary|views|schemas)[.]ts$'],
      },
    },
    {
      name: 'fhir-health-reads-through-readers',
      severity: 'error',
      comment:
        'The FHIR views of the health data are, like the emergency summary, a read model over the other capabilities: they read their items through their stores and readers (store.ts, <name>-store.ts, deps.ts, reader.ts, history.ts, summary.ts) and show them through their views and answer schemas (views.ts, schemas.ts) before mapping them to FHIR, never through their use cases or routes, and write nothing of theirs.',
      from: { path: '^functions/capabilities/fhir-health/' },
      to: {
        path: '^functions/capabilities/[^/]+/',
        pathNot: ['^functions/capabilities/fhir-health/', '^functions/capabilities/[^/]+/(store|[a-z]+-store|deps|reader|history|summary|views|schemas)[.]ts$'],
      },
    },

    {
      name: 'fhir-is-a-view-over-documents',
      severity: 'error',
      comment:
        'The FHIR interface is another face of the same operations, not a read model: it answers DocumentReference and Binary through the documents capability’s own use cases (use-cases.ts, with its deps.ts and schemas.ts), so that the access decisions, traces, encryption, idempotency and deposit checks are the same ones, and the rest through stores and readers as any capability. Patient/$everything takes the health data’s resources from the fhir-health reader (with its deps.ts); _content and _text are the keyword search’s reader (with its schemas.ts). It imports no other capability’s routes or handler, and nothing imports it.',
      from: { path: '^functions/capabilities/fhir/' },
      to: {
        path: '^functions/capabilities/[^/]+/',
        pathNot: [
          '^functions/capabilities/fhir/',
          '^functions/capabilities/documents/(use-cases|deps|schemas)[.]ts$',
          '^functions/capabilities/fhir-health/deps[.]ts$',
          // _content and _text: the keyword search's reader (below) and its query's schema.
          '^functions/capabilities/search/schemas[.]ts$',
          '^functions/capabilities/[^/]+/(store|[a-z]+-store|reader)[.]ts$',
        ],
      },
    },

    // --- infrastructure -------------------------------------------------------------------------------
    {
      name: 'lib-reads-only-the-manifest',
      severity: 'error',
      comment:
        'The CDK code (lib/) imports of functions/ only the route manifest and its types/schemas, the CORS policy and the storage contract (functions/adapters/storage-contract.ts: table definition, encryption contexts), not runtime code.',
      from: { path: '^lib/' },
      to: { path: '^functions/', pathNot: INFRASTRUCTURE_READS },
    },
    {
      name: 'lib-reaches-no-runtime-code',
      severity: 'error',
      comment:
        'What lib/ may import of functions/ leads, even indirectly, to no adapter, platform, job, http pipeline or handler code, nor to the AWS SDK, middy or jose: synthesis loads declarations, not the runtime.',
      from: { path: INFRASTRUCTURE_READS },
      to: {
        reachable: true,
        path: [
          '^functions/(adapters|platform|jobs)/',
          '^functions/http/(pipeline|authorizer|response-headers|request-header)[.]ts$',
          '^functions/capabilities/[^/]+/handler[.]ts$',
          '(^|/)node_modules/(@aws-sdk|@smithy|@middy|jose)/',
        ],
        pathNot: STORAGE_CONTRACT,
      },
    },
    {
      name: 'lib-not-to-bin',
      severity: 'error',
      comment: 'lib/ is the stack; bin/ (the CDK app, the local runtime) uses it, not the reverse.',
      from: { path: '^lib/' },
      to: { path: '^bin/' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^cdk[.]out/', '^coverage/', '^dist/'] },
    // Type-only imports are dependencies too (cycles, layering).
    tsPreCompilationDeps: true,
    // Resolution as TypeScript does it (tsconfig.json: moduleResolution bundler, resolvePackageJsonImports).
    // package.json "imports" (#domain/*, #adapters/*, ...) resolve through enhanced-resolve, whose
    // importsFields default is ['imports'] (dependency-cruiser does not let it be set); they resolve
    // only while exportsFields and conditionNames are set. not-to-unresolvable above fails the check
    // if they ever stop resolving.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
