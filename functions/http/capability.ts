/**
 * What a capability is, as the infrastructure, the local runtime and the OpenAPI document see it: a
 * folder under functions/capabilities/ holding its part of the route manifest and what its Lambda
 * function needs from the infrastructure. Declarations only: lib/ reads them at synthesis.
 */
import type { Route } from './route.ts';

/** The item-level calls a function may make on the table (transactions check them item by item). */
export type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'ConditionCheckItem' | 'Query';

/** The encryption contexts a function passes to KMS with the data key: a record's, or the keyed-index secret's. */
export type DataKeyContext = 'record' | 'keyedIndex';
export type DataKeyOperation = 'GenerateDataKey' | 'Decrypt';

/** One grant of the data key: these operations, with these encryption contexts only. */
export interface DataKeyGrant {
  operations: DataKeyOperation[];
  contexts: DataKeyContext[];
}

/** What a capability's function needs: the stack grants exactly this, and no more. */
export interface FunctionNeeds {
  description: string;
  memorySize: 512 | 1024;
  /** Item calls on the table (transactions are checked item by item: Put, Update, ConditionCheck). */
  items?: ItemAction[];
  /** Queries on GSI1. */
  indexQuery?: boolean;
  /** Queries on GSI2: the reimbursed-care history by date (its lines are then read with BatchGetItem). */
  claimsIndexQuery?: boolean;
  /** Each grant is one statement: an operation is allowed only with the contexts listed beside it. */
  dataKey?: DataKeyGrant[];
  /** Sends SMS straight to phone numbers (not through the outbox). */
  sms?: boolean;
  /** Patient session tokens: 'verify' reads the session key's public half, 'sign' also signs. */
  sessions?: 'sign' | 'verify';
  /**
   * Files of installed packages copied beside the function's bundle, read at run time rather than
   * bundled: name beside the bundle → module specifier (resolved from the repository root).
   */
  files?: Readonly<Record<string, string>>;
}

/** A capability as the infrastructure, the local runtime and the OpenAPI document see it: no use case code. */
export interface CapabilityManifest<Name extends string = string> {
  name: Name;
  routes: readonly Route[];
  function: FunctionNeeds;
}
