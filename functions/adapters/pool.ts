/**
 * Bounded concurrency for a run of calls (the claims core's writes, the keyword index's lists): a task per item, at most `limit` running at
 * once. After a failure no task starts; those under way are awaited (no call is left running
 * behind the failed run's answer) and the first failure is thrown.
 */
export const inPool = async <T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
};
