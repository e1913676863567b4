/**
 * A professional's standing on a record — authorization (or block), last emergency access, first
 * access, last emergency notice — read by their four keys (PRO#<id>, PRO#<id>#EMERGENCY,
 * PRO#<id>#NOTICE, PRO#<id>#SEEN), in the BatchGetItem of the record's own (readItem), and the writes that change it, as parts of the transaction of the
 * action that causes them.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EmergencyMode, ProfessionalStanding, Relation } from '#domain/access-policy';
import type { Standings } from '#domain/stores';
import { B, BOOL, S, bool, str, type Item } from './attributes.ts';
import { readItem } from './batch-get.ts';
import { seal } from './envelope.ts';
import type { DataKey } from '#domain/ports';
import { keyItem, keys } from './table.ts';
import type { LabelledWrite } from './transactions.ts';

export class AccessStore implements Standings {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  async standing(dmpId: string, professionalId: string): Promise<ProfessionalStanding> {
    const k = keys.authorization(dmpId, professionalId);
    const own = [k, keys.emergency(dmpId, professionalId), keys.seen(dmpId, professionalId), keys.emergencyNotice(dmpId, professionalId)];
    const items = (await Promise.all(own.map((key) => readItem(this.db, this.table, keyItem(key))))).filter((item) => item !== undefined);
    const standing: ProfessionalStanding = {};
    for (const item of items) {
      const sk = item.sk?.S;
      if (sk === k.sk) {
        standing.relation = toRelation(item);
        standing.since = str(item, 'since');
      } else if (sk === keys.emergency(dmpId, professionalId).sk) {
        const mode = str(item, 'mode') as EmergencyMode | undefined;
        const until = str(item, 'until');
        if (mode && until) standing.emergency = { mode, until };
      } else if (sk === keys.seen(dmpId, professionalId).sk) standing.seenAt = str(item, 'at');
      else if (sk === keys.emergencyNotice(dmpId, professionalId).sk) standing.emergencyNoticeAt = str(item, 'at');
    }
    return standing;
  }

  /**
   * The patient's decision on a professional: authorized (perhaps attending physician) or blocked.
   * The only write that names or unnames an attending physician: it is the patient's choice.
   */
  decisionWrite(dmpId: string, professionalId: string, status: Relation['status'], attendingPhysician: boolean, since: string): LabelledWrite {
    return {
      label: 'authorization',
      item: {
        Put: {
          TableName: this.table,
          Item: {
            ...keyItem(keys.authorization(dmpId, professionalId)),
            professionalId: S(professionalId),
            status: S(status),
            attendingPhysician: BOOL(status === 'authorized' && attendingPhysician),
            since: S(since),
            source: S('patient'),
          },
        },
      },
    };
  }

  /**
   * A condition of an action's transaction: the patient has not blocked the professional (a block
   * that landed first refuses the action). An authorization given or removed meanwhile does not.
   */
  notBlockedCheck(dmpId: string, professionalId: string): LabelledWrite {
    return {
      label: 'not-blocked',
      item: {
        ConditionCheck: {
          TableName: this.table,
          Key: keyItem(keys.authorization(dmpId, professionalId)),
          ConditionExpression: 'attribute_not_exists(pk) OR #status <> :blocked',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':blocked': S('blocked') },
        },
      },
    };
  }

  removeAuthorizationWrite(dmpId: string, professionalId: string): LabelledWrite {
    return {
      label: 'authorization',
      item: { Delete: { TableName: this.table, Key: keyItem(keys.authorization(dmpId, professionalId)), ConditionExpression: 'attribute_exists(pk)' } },
    };
  }

  /** An emergency access, replacing the previous one; its free-text reason sealed with the record's key. */
  emergencyWrite(key: DataKey, professionalId: string, mode: EmergencyMode, reason: string | undefined, at: Date, until: Date): LabelledWrite {
    const k = keys.emergency(key.dmpId, professionalId);
    return {
      label: 'emergency',
      item: {
        Put: {
          TableName: this.table,
          Item: {
            ...keyItem(k),
            mode: S(mode),
            at: S(at.toISOString()),
            until: S(until.toISOString()),
            ...(reason ? { reason: B(seal(key, k.sk, 'reason', Buffer.from(reason, 'utf8'))) } : {}),
          },
        },
      },
    };
  }

  /** The first access of a professional: refused if another request recorded it first. */
  seenWrite(dmpId: string, professionalId: string, at: Date): LabelledWrite {
    return {
      label: 'seen',
      item: { Put: { TableName: this.table, Item: { ...keyItem(keys.seen(dmpId, professionalId)), at: S(at.toISOString()) }, ConditionExpression: 'attribute_not_exists(pk)' } },
    };
  }
}

const toRelation = (i: Item): Relation => ({
  status: (str(i, 'status') ?? 'authorized') as Relation['status'],
  attendingPhysician: bool(i, 'attendingPhysician') ?? false,
  expiresAt: str(i, 'expiresAt'),
});
