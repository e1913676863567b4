/**
 * The REST API, generated from the route manifest (functions/capabilities/index.ts): one resource and
 * method per route, served by its capability's function (one function per capability, not per
 * route), token-protected by a Lambda REQUEST authorizer unless the route admits anonymous callers,
 * with request validation, problem-document gateway responses, CORS preflight, access and
 * execution logs (never bodies), tracing, throttling and a WAF.
 *
 * REGIONAL endpoint: TLS ends in the region (Paris), not at CloudFront edges around the world.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS } from '../functions/http/cors.ts';
import { CAPABILITIES, type Capability, ROUTES } from '../functions/capabilities/index.ts';
import type { CapabilityManifest } from '../functions/http/capability.ts';
import type { Route } from '../functions/http/route.ts';
import { isAnonymous, pascalCase, requestModelSchema, requestParameters, requiresApiKey, routeThrottles, type Throttle } from './api-manifest.ts';
import type { Data } from './data.ts';
import { DmpFunction, type LogSettings } from './dmp-function.ts';
import { Firewall } from './firewall.ts';
import { addProblemResponses } from './gateway-responses.ts';
import type { Messaging } from './messaging.ts';
import { type ApiKeySettings, CLIENT_CATEGORIES, type ClientCategory, type IssuerSettings, type PatientSessionSettings, type Settings } from './settings.ts';

/** Paths start with /v1 already (the manifest's), so the stage does not repeat a version. */
const STAGE_NAME = 'api';
const HTTP_TIMEOUT = Duration.seconds(10);

/** The variables functions/platform/config.ts reads to verify tokens. */
const issuerEnvironment = (prefix: 'PSC' | 'AGENT' | 'INSURER', issuer: IssuerSettings | undefined): Record<string, string> =>
  issuer ? { [`${prefix}_ISSUER`]: issuer.issuer, [`${prefix}_JWKS_URL`]: issuer.jwksUrl, [`${prefix}_AUDIENCE`]: issuer.audience } : {};

/** The variables functions/platform/config.ts reads to sign or verify patient sessions. */
const sessionEnvironment = (sessionKeyArn: string, sessions: PatientSessionSettings): Record<string, string> => ({
  SESSION_KEY_ID: sessionKeyArn,
  PATIENT_ISSUER: sessions.issuer,
  PATIENT_AUDIENCE: sessions.audience,
});

/** Stage settings of every method: execution logs at ERROR level, never request or response data. */
const methodSettings = (throttle: Throttle): apigw.MethodDeploymentOptions => ({
  loggingLevel: apigw.MethodLoggingLevel.ERROR,
  dataTraceEnabled: false,
  metricsEnabled: true,
  cachingEnabled: false,
  throttlingRateLimit: throttle.rateLimit,
  throttlingBurstLimit: throttle.burstLimit,
});

export interface ApiProps {
  settings: Settings;
  data: Data;
  messaging: Messaging;
}

export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly functions: Record<Capability, DmpFunction>;
  readonly authorizerFunction: DmpFunction;
  /**
   * What API Gateway invokes: each function's `live` alias, never `$LATEST`, so that CodeDeploy
   * shifts traffic to a new version gradually and back on an alarm (lib/deployments.ts).
   */
  readonly aliases: Record<Capability, lambda.Alias>;
  readonly authorizerAlias: lambda.Alias;
  /** The firewall in front of the stage (its web ACL's metrics are alarmed on). */
  readonly firewall: Firewall;
  /** The methods of the manifest's routes, by route id. */
  readonly methods = new Map<string, apigw.Method>();
  /** One usage plan per client category; operators attach each vendor's API key to its category's plan. */
  readonly usagePlans = {} as Record<ClientCategory, apigw.UsagePlan>;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings, data } = props;
    const logSettings: LogSettings = { encryptionKey: data.logsKey, retention: settings.logRetention };
    const tokenEnvironment = {
      ...issuerEnvironment('PSC', settings.professionalIssuer),
      ...issuerEnvironment('AGENT', settings.agentIssuer),
      ...issuerEnvironment('INSURER', settings.insurerIssuer),
    };

    const sessions = sessionEnvironment(data.sessionKey.keyArn, settings.patientSessions);

    this.functions = Object.fromEntries(
      CAPABILITIES.map((capability) => [
        capability.name,
        this.capabilityFunction(capability, props, { environment: { ...tokenEnvironment, ALLOWED_ORIGIN: settings.allowedOrigin }, sessions, logSettings }),
      ]),
    ) as Record<Capability, DmpFunction>;
    this.authorizerFunction = new DmpFunction(this, 'Authorizer', {
      entry: 'functions/http/authorizer.ts',
      description: 'DMP API authorizer: verifies bearer tokens against the configured issuers and patient sessions, and paired devices’ credentials',
      memorySize: 512,
      timeout: HTTP_TIMEOUT,
      environment: { ...tokenEnvironment, ...sessions, TABLE_NAME: data.table.tableName },
      logs: logSettings,
    });
    data.grantSessionVerification(this.authorizerFunction);
    data.grantDeviceCredentialLookup(this.authorizerFunction);
    this.aliases = Object.fromEntries(CAPABILITIES.map(({ name }) => [name, liveAlias(this.functions[name])])) as Record<Capability, lambda.Alias>;
    this.authorizerAlias = liveAlias(this.authorizerFunction);

    // Not 'AccessLogs': the access capability's function has that log group (`${id}Logs`).
    const accessLogs = new logs.LogGroup(this, 'StageAccessLogs', { encryptionKey: data.logsKey, retention: settings.logRetention });
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'DMP API v1, generated from functions/capabilities/index.ts',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Client software sends its key in x-api-key: the Authorization header stays the caller's token.
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // Access and execution logs need API Gateway's account-level CloudWatch role (one per account
      // and region): created here, and kept when the stack goes, since other APIs may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultCorsPreflightOptions: {
        allowOrigins: [settings.allowedOrigin],
        allowMethods: [...CORS.allowMethods],
        // The front end sends its usage plan's key (x-api-key): answered by the gateway alone, the
        // preflight admits it, whatever the functions' own CORS headers say.
        allowHeaders: [...CORS.allowHeaders, 'X-Api-Key'],
        exposeHeaders: [...CORS.exposeHeaders],
        maxAge: Duration.seconds(CORS.maxAgeSeconds),
      },
      deployOptions: {
        stageName: STAGE_NAME,
        tracingEnabled: true,
        ...methodSettings(settings.stageThrottle),
        methodOptions: Object.fromEntries(routeThrottles().map(({ route, throttle }) => [`${route.path}/${route.method}`, methodSettings(throttle)])),
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });

    // API Gateway creates the execution log group on first use, unencrypted and kept forever;
    // creating it first, under the name API Gateway will use, gives it our key and retention.
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${STAGE_NAME}`,
      encryptionKey: data.logsKey,
      retention: settings.logRetention,
    });
    this.restApi.deploymentStage.node.addDependency(executionLogs);

    this.addRoutes(settings.apiKeys);
    this.addUsagePlans(settings.apiKeys);
    addProblemResponses(this.restApi, settings.allowedOrigin);
    this.firewall = new Firewall(this, 'Firewall', { stage: this.restApi.deploymentStage, logs: logSettings });
  }

  private capabilityFunction(
    capability: CapabilityManifest,
    { settings, data, messaging }: ApiProps,
    shared: { environment: Record<string, string>; sessions: Record<string, string>; logSettings: LogSettings },
  ): DmpFunction {
    const needs = capability.function;
    const fn = new DmpFunction(this, pascalCase(capability.name), {
      entry: `functions/capabilities/${capability.name}/handler.ts`,
      description: needs.description,
      memorySize: needs.memorySize,
      timeout: HTTP_TIMEOUT,
      environment: {
        ...shared.environment,
        ...(needs.items || needs.indexQuery || needs.claimsIndexQuery ? { TABLE_NAME: data.table.tableName } : {}),
        ...(needs.dataKey ? { DATA_KEY_ID: data.dataKey.keyArn } : {}),
        ...(needs.sms ? { SMS_SENDER_ID: settings.smsSenderId } : {}),
        ...(needs.sessions ? shared.sessions : {}),
      },
      logs: shared.logSettings,
      ...(needs.files ? { files: needs.files } : {}),
    });
    if (needs.items) data.grantItems(fn, needs.items);
    if (needs.indexQuery) data.grantIndexQuery(fn);
    if (needs.claimsIndexQuery) data.grantClaimsIndexQuery(fn);
    for (const grant of needs.dataKey ?? []) data.grantDataKey(fn, grant.operations, grant.contexts);
    if (needs.sms) messaging.grantSmsSend(fn);
    if (needs.sessions === 'sign') data.grantSessionSigning(fn);
    if (needs.sessions) data.grantSessionVerification(fn);
    return fn;
  }

  /**
   * One plan per client category, on this stage, with its per-key throttle and daily quota. The
   * public-online plan (the dmp.fr front end's key) has a lower limit of its own on POST /v1/records,
   * below that method's stage throttle: anonymous creations cannot take all of it. API Gateway only
   * meters methods that require a key, so the plans take effect with `dmp:apiKeyEnforcement` = required.
   */
  private addUsagePlans(apiKeys: ApiKeySettings): void {
    const createRecord = this.methods.get('createRecord');
    if (!createRecord) throw new Error('no API method for route createRecord');
    for (const category of CLIENT_CATEGORIES) {
      const plan = apiKeys.plans[category];
      this.usagePlans[category] = this.restApi.addUsagePlan(`UsagePlan${category.split('-').map(pascalCase).join('')}`, {
        name: `${Stack.of(this).stackName}-${category}`,
        description: `DMP API: ${category} software, one API key per vendor or installation`,
        throttle: { rateLimit: plan.rateLimit, burstLimit: plan.burstLimit },
        quota: { limit: plan.dailyQuota, period: apigw.Period.DAY },
        apiStages: [
          {
            api: this.restApi,
            stage: this.restApi.deploymentStage,
            ...(category === 'public-online' ? { throttle: [{ method: createRecord, throttle: apiKeys.onlineCreationThrottle }] } : {}),
          },
        ],
      });
    }
  }

  private addRoutes(apiKeys: ApiKeySettings): void {
    const api = this.restApi;
    // One integration per function (its live alias, which holds the invoke permission), shared by
    // its routes. One permission per function, for this API (any of its stages and methods), rather
    // than one per method: the stack stays under CloudFormation's 500 resources as routes are
    // added, and what a function answers is still its own routes only (the pipeline answers 404 to
    // any other; the gateway sends each method to its own function).
    const integrations = Object.fromEntries(CAPABILITIES.map(({ name }) => [name, new apigw.LambdaIntegration(this.aliases[name], { scopePermissionToMethod: false })])) as Record<
      Capability,
      apigw.LambdaIntegration
    >;
    // Tokens are verified again by the handlers (which decide): a token that expires within the
    // cache's five minutes is refused there.
    const authorizer = new apigw.RequestAuthorizer(this, 'BearerAuthorizer', {
      handler: this.authorizerAlias,
      identitySources: [apigw.IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.minutes(5),
    });
    const bodyValidator = api.addRequestValidator('BodyAndParameters', { validateRequestBody: true, validateRequestParameters: true });
    const parameterValidator = api.addRequestValidator('Parameters', { validateRequestBody: false, validateRequestParameters: true });

    for (const route of ROUTES) {
      const parameters = requestParameters(route);
      const hasParameters = Object.keys(parameters).length > 0;
      const method = api.root.resourceForPath(route.path).addMethod(route.method, integrations[route.capability as Capability], {
        operationName: route.id,
        apiKeyRequired: apiKeys.enforcement === 'required' && requiresApiKey(route),
        ...(isAnonymous(route) ? { authorizationType: apigw.AuthorizationType.NONE } : { authorizationType: apigw.AuthorizationType.CUSTOM, authorizer }),
        ...(hasParameters ? { requestParameters: parameters } : {}),
        // A body that may be left out is validated by the function only: a gateway model would
        // also be checked against the absent body.
        ...(route.body && !route.bodyOptional
          ? { requestValidator: bodyValidator, requestModels: { 'application/json': this.requestModel(route, route.body) } }
          : hasParameters
            ? { requestValidator: parameterValidator }
            : {}),
      });
      this.methods.set(route.id, method);
    }
  }

  private requestModel(route: Route, body: NonNullable<Route['body']>): apigw.Model {
    const name = `${pascalCase(route.id)}Request`;
    return this.restApi.addModel(name, {
      modelName: name,
      contentType: 'application/json',
      description: `Body of ${route.method} ${route.path}`,
      // zod's output is a JSON Schema draft 4 document, which is what CDK's JsonSchema type models.
      schema: requestModelSchema(body) as apigw.JsonSchema,
    });
  }
}

/** The `live` alias on the function's current version (a new version at each change of code or configuration). */
const liveAlias = (fn: DmpFunction): lambda.Alias => new lambda.Alias(fn, 'Live', { aliasName: 'live', version: fn.currentVersion });

/**
 * One JSON line per request: who (address, actor kind), what (method, resource template: no ids,
 * no query string), outcome and timings. Never a body or a header value.
 */
const accessLogFormat = (): apigw.AccessLogFormat =>
  apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: apigw.AccessLogField.contextRequestId(),
      requestTime: apigw.AccessLogField.contextRequestTime(),
      ip: apigw.AccessLogField.contextIdentitySourceIp(),
      httpMethod: apigw.AccessLogField.contextHttpMethod(),
      resourcePath: apigw.AccessLogField.contextResourcePath(),
      protocol: apigw.AccessLogField.contextProtocol(),
      status: apigw.AccessLogField.contextStatus(),
      responseLength: apigw.AccessLogField.contextResponseLength(),
      responseLatency: apigw.AccessLogField.contextResponseLatency(),
      integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
      actorKind: apigw.AccessLogField.contextAuthorizerPrincipalId(),
      errorType: apigw.AccessLogField.contextErrorResponseType(),
      wafStatus: apigw.AccessLogField.contextWafResponseCode(),
      xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
    }),
  );
