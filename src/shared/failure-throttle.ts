/**
 * Counts failures per client address in fixed windows. Only failures are counted: a caller asks
 * it after something went wrong, so successful requests never touch it and are never throttled.
 *
 * Memory is bounded: at most `maxTracked` addresses are remembered; when full, expired windows are
 * dropped first, then the oldest ones.
 */
export interface FailureThrottleOptions {
  /** Failures allowed per window; the next ones are "throttled". */
  limit: number;
  windowMs: number;
  maxTracked?: number;
}

interface Window {
  failures: number;
  endsAt: number;
}

export const DEFAULT_MAX_TRACKED = 10_000;

export class FailureThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly maxTracked: number;

  constructor(
    private readonly options: FailureThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(options.limit >= 1) || !(options.windowMs >= 1))
      throw new Error('FailureThrottle needs limit >= 1 and windowMs >= 1');
    this.maxTracked = Math.max(1, options.maxTracked ?? DEFAULT_MAX_TRACKED);
  }

  /**
   * Records one failure from `address`. Returns 0 while the address is within its limit, otherwise
   * the whole seconds (≥ 1) until its window ends, for a Retry-After header.
   */
  recordFailure(address: string): number {
    const key = throttleKey(address);
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxTracked) this.makeRoom(now);
      window = { failures: 0, endsAt: now + this.options.windowMs };
      this.windows.set(key, window);
    }
    window.failures++;
    if (window.failures <= this.options.limit) return 0;
    return Math.max(1, Math.ceil((window.endsAt - now) / 1000));
  }

  /** Addresses currently remembered (for tests and metrics). */
  get tracked(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key);
    }
    // Maps iterate in insertion order, so this drops the oldest windows; bounded by the map's size.
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxTracked) break;
      this.windows.delete(key);
    }
  }
}

/**
 * The unit one client is counted under: the IPv4 address, or the /64 prefix of an IPv6 address
 * (one host usually owns a whole /64, so counting single IPv6 addresses would be trivial to dodge).
 */
export function throttleKey(address: string): string {
  const ip = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!ip.includes(':')) return ip;
  const bare = ip.split('%', 1)[0].toLowerCase();
  const [head, tail] = bare.split('::', 2);
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, '') || '0')
    .join(':')}::/64`;
}
