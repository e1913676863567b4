/**
 * The local runtime's stand-in for the table's change stream, for the keyword index job: the
 * emulator's table has no stream here (bin/local-aws.ts says why), so the DynamoDB client records
 * the keys of every item that a successful write put, updated or deleted (PutItem, UpdateItem,
 * DeleteItem, the writes of TransactWriteItems and BatchWriteItem), when the index follows that
 * item (the same test as the Lambda's stream filter). That is what a stream record gives the job
 * in AWS: the item's keys; the job reads the rest from the table. Changes wait here until the
 * runtime drains them (every tick, and POST /_local/jobs/search-index).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dmpIdOfPk } from '#adapters/table';
import type { Change } from '#domain/jobs/search-index';
import { isIndexedItem } from '../functions/jobs/search-sources.ts';

type Key = Record<string, AttributeValue> | undefined;
interface WriteInput {
  Item?: Key;
  Key?: Key;
  TransactItems?: { Put?: { Item?: Key }; Update?: { Key?: Key }; Delete?: { Key?: Key } }[];
  RequestItems?: Record<string, { PutRequest?: { Item?: Key }; DeleteRequest?: { Key?: Key } }[]>;
}

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand']);

const keysOf = (command: string, input: WriteInput): Key[] => {
  switch (command) {
    case 'PutItemCommand':
      return [input.Item];
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      return [input.Key];
    case 'TransactWriteItemsCommand':
      return (input.TransactItems ?? []).map((t) => t.Put?.Item ?? t.Update?.Key ?? t.Delete?.Key);
    default:
      return Object.values(input.RequestItems ?? {}).flatMap((requests) => requests.map((r) => r.PutRequest?.Item ?? r.DeleteRequest?.Key));
  }
};

export class LocalChangeFeed {
  private pending: Change[] = [];

  /** Records the changes of the writes this client makes from now on (after they succeed). */
  attach(db: DynamoDBClient): void {
    db.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = context.commandName ?? '';
        if (WRITES.has(command)) {
          // A BatchWriteItem's unprocessed requests did not happen (their caller sends them again).
          const unprocessed = new Set(
            keysOf('BatchWriteItemCommand', { RequestItems: (result.output as { UnprocessedItems?: WriteInput['RequestItems'] }).UnprocessedItems ?? {} }).map(
              (k) => `${k?.pk?.S} ${k?.sk?.S}`,
            ),
          );
          for (const key of keysOf(command, args.input as WriteInput)) {
            const pk = key?.pk?.S;
            const sk = key?.sk?.S;
            if (pk?.startsWith('REC#') && sk && isIndexedItem(sk) && !unprocessed.has(`${pk} ${sk}`)) this.pending.push({ dmpId: dmpIdOfPk(pk), sk });
          }
        }
        return result;
      },
      { step: 'initialize', name: 'localSearchIndexFeed' },
    );
  }

  /** Stops recording this client's writes (the bench's deposits "before" the index existed). */
  detach(db: DynamoDBClient): void {
    db.middlewareStack.remove('localSearchIndexFeed');
  }

  /** The changes recorded so far, in order, handed over once. */
  drain(): Change[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Changes that failed go back to the front, as a stream retries from the first failure. */
  retry(changes: readonly Change[]): void {
    this.pending = [...changes, ...this.pending];
  }

  get size(): number {
    return this.pending.length;
  }
}
