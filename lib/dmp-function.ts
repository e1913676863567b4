/**
 * Every Lambda function of the DMP, with the team defaults in one place: Node 24 on arm64, one
 * minified ESM bundle per entry (AWS SDK included, so what runs is what was tested), source maps,
 * structured JSON logs in an encrypted log group of bounded retention, active X-Ray tracing, and an
 * execution role of its own that starts empty: no AWS managed policy, only the log group it writes
 * to, then whatever each function is granted explicitly.
 */
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: entries, package-lock.json and tsconfig.json are found from here. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * How every Lambda entry is bundled: one minified ESM file for Node 24 with the AWS SDK inside
 * (what runs is what was tested). The single source of these options: DmpFunction passes them to
 * NodejsFunction, and the bundle test and the cold-start benchmark hand them to esbuild.
 */
export const LAMBDA_BUNDLE = {
  format: 'esm',
  mainFields: ['module', 'main'],
  /**
   * ESM bundles have no `require`; a CommonJS dependency bundled into one still calls it (for Node
   * built-ins), so the bundle recreates it.
   */
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
  target: 'node24',
  minify: true,
  /**
   * Source maps are built and shipped beside each bundle (index.mjs.map in the asset), to decode
   * the minified stack traces that 5xx log lines carry; they are NOT parsed at runtime:
   * --enable-source-maps makes Node parse the ~1 MB map on every cold start, about 20 ms of import
   * time (see `npm run bench`, "records bundle, NODE_OPTIONS unset").
   */
  sourceMap: true,
  // Decoding needs the mappings, not a copy of the sources inside the map.
  sourcesContent: false,
} as const;

/**
 * The files to copy beside a bundle (FunctionNeeds.files): each module specifier resolved from the
 * repository root, as a path relative to it (bundling may run in a container, where the root is
 * mounted elsewhere).
 */
export const bundledFiles = (files: Readonly<Record<string, string>>): { name: string; source: string }[] => {
  const resolve = createRequire(join(REPO_ROOT, 'package.json')).resolve;
  return Object.entries(files).map(([name, specifier]) => ({ name, source: relative(REPO_ROOT, resolve(specifier)) }));
};

export interface LogSettings {
  encryptionKey: kms.IKey;
  retention: logs.RetentionDays;
}

export interface DmpFunctionProps {
  /** The Lambda entry, relative to the repository root (exports `handler`). */
  entry: string;
  description: string;
  /** 1024 MB where the work is CPU-bound (scrypt, AES-GCM), 512 MB otherwise. */
  memorySize: 512 | 1024;
  timeout: Duration;
  environment: Record<string, string>;
  /** Only where running twice at once would be wrong: it takes from the account's shared quota. */
  reservedConcurrentExecutions?: number;
  logs: LogSettings;
  /** Files copied beside the bundle (name → module specifier), read by the function at run time. */
  files?: Readonly<Record<string, string>>;
}

export class DmpFunction extends NodejsFunction {
  /** The function's execution role (never undefined, unlike `Function.role`). */
  readonly executionRole: iam.Role;
  /** The Lambda entry, relative to the repository root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: DmpFunctionProps) {
    // Created beside the function, before it, because the function is built with them.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      encryptionKey: props.logs.encryptionKey,
      retention: props.logs.retention,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    super(scope, id, {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      bundling: {
        format: OutputFormat.ESM,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        sourcesContent: LAMBDA_BUNDLE.sourcesContent,
        bundleAwsSDK: true,
        ...(props.files
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  bundledFiles(props.files ?? {}).map(({ name, source }) => `cp "${join(inputDir, source)}" "${join(outputDir, name)}"`),
              },
            }
          : {}),
      },
    });
    this.executionRole = role;
    this.entry = props.entry;
    logGroup.grantWrite(role);
  }
}
