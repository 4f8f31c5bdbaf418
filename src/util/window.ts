// Bounded concurrency for requests to one socket.

/** Runs `fn` over items with at most `window` in flight (netlink@0.3.0 aborts past ~250). */
export async function inWindow<T>(items: readonly T[], window: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]); };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, worker));
}
