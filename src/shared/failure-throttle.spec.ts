import { FailureThrottle, throttleKey } from './failure-throttle.js';

describe('FailureThrottle', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows `limit` failures per window, then returns the seconds left in the window', () => {
    const throttle = new FailureThrottle({ limit: 3, windowMs: 60_000 }, clock);
    expect([1, 2, 3].map(() => throttle.recordFailure('203.0.113.1'))).toEqual([0, 0, 0]);
    expect(throttle.recordFailure('203.0.113.1')).toBe(60);
    now += 45_500;
    expect(throttle.recordFailure('203.0.113.1')).toBe(15);
    now += 14_000;
    expect(throttle.recordFailure('203.0.113.1')).toBe(1);
  });

  it('starts afresh once the window has passed', () => {
    const throttle = new FailureThrottle({ limit: 1, windowMs: 10_000 }, clock);
    throttle.recordFailure('203.0.113.1');
    expect(throttle.recordFailure('203.0.113.1')).toBeGreaterThan(0);
    now += 10_000;
    expect(throttle.recordFailure('203.0.113.1')).toBe(0);
  });

  it('counts each address on its own', () => {
    const throttle = new FailureThrottle({ limit: 1, windowMs: 10_000 }, clock);
    throttle.recordFailure('203.0.113.1');
    expect(throttle.recordFailure('203.0.113.1')).toBeGreaterThan(0);
    expect(throttle.recordFailure('203.0.113.2')).toBe(0);
  });

  it('counts an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', () => {
    const throttle = new FailureThrottle({ limit: 2, windowMs: 10_000 }, clock);
    throttle.recordFailure('2001:db8:1:2::1');
    throttle.recordFailure('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(throttle.recordFailure('2001:0db8:0001:0002::ffff')).toBeGreaterThan(0);
    expect(throttle.recordFailure('2001:db8:1:3::1')).toBe(0);

    throttle.recordFailure('::ffff:198.51.100.7');
    throttle.recordFailure('198.51.100.7');
    expect(throttle.recordFailure('198.51.100.7')).toBeGreaterThan(0);
  });

  it('remembers at most maxTracked addresses, dropping expired windows first, then the oldest', () => {
    const throttle = new FailureThrottle({ limit: 1, windowMs: 1_000, maxTracked: 3 }, clock);
    throttle.recordFailure('10.0.0.1');
    now += 2_000; // 10.0.0.1's window has expired
    throttle.recordFailure('10.0.0.2');
    throttle.recordFailure('10.0.0.2');
    throttle.recordFailure('10.0.0.3');
    throttle.recordFailure('10.0.0.4'); // full: the expired one goes
    expect(throttle.tracked).toBe(3);
    expect(throttle.recordFailure('10.0.0.2')).toBeGreaterThan(0); // still counted
    throttle.recordFailure('10.0.0.5'); // full, nothing expired: the oldest (10.0.0.2) goes
    expect(throttle.tracked).toBe(3);
    expect(throttle.recordFailure('10.0.0.2')).toBe(0);
  });

  it('stays bounded under a flood of distinct addresses', () => {
    const throttle = new FailureThrottle({ limit: 5, windowMs: 60_000, maxTracked: 100 }, clock);
    for (let i = 0; i < 10_000; i++) throttle.recordFailure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(throttle.tracked).toBeLessThanOrEqual(100);
  });

  it('refuses nonsense settings', () => {
    expect(() => new FailureThrottle({ limit: 0, windowMs: 1000 })).toThrow();
    expect(() => new FailureThrottle({ limit: 1, windowMs: 0 })).toThrow();
  });
});

describe('throttleKey', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1:2:3:4', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (address, key) => {
    expect(throttleKey(address)).toBe(key);
  });
});
