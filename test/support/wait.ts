/** Waiting, for the suites and the chaos run alike (plain Node: no Jest, no Nest). */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it returns something truthy, and returns that. Throws, naming
 * `what` and the last value seen, once `timeoutMs` has passed; an error thrown by `check` ends the
 * wait at once.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'condition',
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await check();
    if (last) return last;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
    }
    await sleep(everyMs);
  }
}
