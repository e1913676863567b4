/** Small helpers to read and write DynamoDB attribute values without a marshalling library. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
export const B = (value: Uint8Array): AttributeValue => ({ B: value });
export const BOOL = (value: boolean): AttributeValue => ({ BOOL: value });

export const str = (item: Item, name: string): string | undefined => item[name]?.S;
export const num = (item: Item, name: string): number | undefined => {
  const n = item[name]?.N;
  return n === undefined ? undefined : Number(n);
};
export const bin = (item: Item, name: string): Uint8Array | undefined => item[name]?.B;
export const bool = (item: Item, name: string): boolean | undefined => item[name]?.BOOL;

export const required = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`stored item lacks ${what}`);
  return value;
};

export const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);
