/**
 * Runs `task` over `items` with at most `limit` in flight, waiting for *all* of them even
 * when one fails (no store write keeps running after the invocation answered), then
 * rethrows the first failure.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i] as T);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (errors.length > 0) throw errors[0];
  return results;
}
