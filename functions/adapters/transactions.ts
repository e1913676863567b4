/**
 * One write transaction made of labelled parts, so that a cancelled transaction says which
 * invariant refused it (the INS already has a DMP, the code was used, the idempotency key was
 * taken...) instead of a bare "cancelled".
 */
import { TransactWriteItemsCommand, TransactionCanceledException, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { ConditionsRefused } from '#domain/errors';
import type { Transactions, Write } from '#domain/ports';

/** A part of a transaction as the DynamoDB stores make it: the domain's opaque Write, with its item. */
export interface LabelledWrite extends Write {
  label: string;
  item: TransactWriteItem;
}

/** DynamoDB's limit on the parts of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * An action whose writes outgrow one transaction: a bug in how the action was built (anything that
 * grows with the data, such as messages to many recipients, goes through a fan-out), never sent.
 */
export class TransactionTooLarge extends Error {
  override readonly name = 'TransactionTooLarge';
}

export const transact = async (db: DynamoDBClient, writes: readonly LabelledWrite[], clientRequestToken?: string): Promise<void> => {
  if (writes.length > MAX_TRANSACTION_ITEMS) throw new TransactionTooLarge(`${writes.length} writes in one transaction, at most ${MAX_TRANSACTION_ITEMS}`);
  try {
    await db.send(
      new TransactWriteItemsCommand({
        TransactItems: writes.map((w) => w.item),
        ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}),
      }),
    );
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      const reasons = error.CancellationReasons ?? [];
      const refused = writes.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed').map((w) => w.label);
      if (refused.length > 0) throw new ConditionsRefused(refused);
    }
    throw error;
  }
};

/** A Write that a DynamoDB store made; anything else is a wiring bug (a fake's write given to the real table). */
export const labelled = (write: Write): LabelledWrite => {
  if (!('item' in write)) throw new TypeError(`write ${write.label} was not made by a DynamoDB store`);
  return write as LabelledWrite;
};

/** The Transactions port over DynamoDB: TransactWriteItems. */
export class DynamoTransactions implements Transactions {
  private readonly db: DynamoDBClient;
  constructor(db: DynamoDBClient) {
    this.db = db;
  }

  commit(writes: readonly Write[]): Promise<void> {
    return transact(this.db, writes.map(labelled));
  }
}
