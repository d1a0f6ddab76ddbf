/**
 * A handler's `concurrency`, per process: how many of its deliveries run at once, across all its
 * jobs. A run takes every free slot at once (up to what it still has to start), so that deliveries
 * that start together are started by one statement.
 */
export class HandlerSlots {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Waits for at least one free slot, then takes up to `wanted` of them; returns how many it took. */
  async take(wanted: number): Promise<number> {
    while (this.free === 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      // Slots freed by deliveries that end together (a fast handler) are taken together.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const taken = Math.min(wanted, this.free);
    this.free -= taken;
    return taken;
  }

  give(count = 1): void {
    if (count <= 0) return;
    this.free += count;
    for (const wake of this.waiters.splice(0, this.waiters.length)) wake();
  }
}
