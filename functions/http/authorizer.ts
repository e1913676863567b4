/**
 * API Gateway REQUEST authorizer for the routes that need a token: refuses unauthenticated
 * traffic at the edge with the same verification the handlers run again (defence in depth; the
 * handler's check is the one that decides, and is the one the local runtime exercises). A paired
 * device's credential is checked against its device's item (one GetItem of the credential's hash,
 * the only attributes of the table this function may read); the DynamoDB client is loaded on the
 * first device credential, so that tokens are checked without it.
 */
import type { APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import type { Actor } from '#domain/actor';
import { isDeviceCredential } from '#domain/measurements';
import { systemClock } from '#domain/ports';
import { kmsClient } from '#adapters/aws';
import type { DeviceCredentials } from '#adapters/device-credentials';
import { SessionPublicKey } from '#adapters/sessions';
import { TokenVerifier } from '#adapters/tokens';
import { configFromEnv } from '#platform/config';
import { requestHeader } from './request-header.ts';

const config = configFromEnv();
const verifier = new TokenVerifier(
  config.issuers,
  systemClock,
  config.sessions ? { issuer: config.sessions.issuer, audience: config.sessions.audience, key: new SessionPublicKey(kmsClient(config), config.sessions.keyId) } : undefined,
);

let devices: Promise<DeviceCredentials> | undefined;
const deviceCredentials = (): Promise<DeviceCredentials> => (devices ??= import('#adapters/device-credentials').then((credentials) => credentials.deviceCredentialsOn(config)));

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(requestHeader(event, 'authorization') ?? '')?.[1];
  if (!token) throw new Error('Unauthorized'); // API Gateway answers 401
  try {
    const actor: Actor = isDeviceCredential(token) ? await (await deviceCredentials()).verify(token) : await verifier.verify(token);
    // The policy covers the whole API so that the authorizer cache serves every route; each
    // handler still checks which caller kinds its route admits. A device's covers the one thing it
    // may do, POST …/measurements of its own record: the gateway refuses it anything else (403),
    // before the handler would (the cache is per credential).
    const [arnPrefix, stage] = event.methodArn.split('/');
    const resource = actor.kind === 'device' ? `${arnPrefix}/${stage}/POST/v1/records/${actor.dmpId}/measurements` : `${arnPrefix}/${stage}/*`;
    return {
      principalId: actor.kind,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }] },
      context: { actorKind: actor.kind },
    };
  } catch {
    throw new Error('Unauthorized');
  }
};
