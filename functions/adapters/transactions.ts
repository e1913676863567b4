/**
 * One write transaction made of labelled parts, so that a cancelled transaction says which
 * invariant refused it (the INS already has a DMP, the code was used, the idempotency key was
 * taken...) instead of a bare "cancelled".
 */
import { TransactWriteItemsCommand, TransactionCanceledException, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';

export interface LabelledWrite {
  label: string;
  item: TransactWriteItem;
}

export class ConditionsRefused extends Error {
  override readonly name = 'ConditionsRefused';
  readonly labels: ReadonlySet<string>;
  constructor(labels: string[]) {
    super(`conditions refused: ${labels.join(', ')}`);
    this.labels = new Set(labels);
  }
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

export const transact = async (db: DynamoDBClient, writes: LabelledWrite[], clientRequestToken?: string): Promise<void> => {
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
