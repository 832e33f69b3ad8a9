import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../lambdas/core/circuit-breaker.ts';
import { FakeClock } from '../../helpers/fakes.ts';

const setup = (failures = 3, cooldownMs = 10_000) => {
  const clock = new FakeClock();
  return { clock, breaker: new CircuitBreaker({ failures, cooldownMs, clock }) };
};

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, and says so on the failure that opened it', () => {
    const { breaker } = setup(3);
    expect(breaker.failure()).toBe(false);
    expect(breaker.failure()).toBe(false);
    expect(breaker.state()).toBe('closed');
    expect(breaker.allow()).toBe(true);
    expect(breaker.failure()).toBe(true);
    expect(breaker.state()).toBe('open');
    expect(breaker.allow()).toBe(false);
  });

  it('counts consecutive failures only: a success in between starts over', () => {
    const { breaker } = setup(3);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state()).toBe('closed');
    expect(breaker.failure()).toBe(true);
  });

  it('refuses calls for the cooldown, then lets exactly one trial through', () => {
    const { breaker, clock } = setup(1, 10_000);
    breaker.failure();
    clock.advance(9_999);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.allow()).toBe(true); // the trial
    expect(breaker.allow()).toBe(false); // everyone else waits for it
    expect(breaker.state()).toBe('half-open');
  });

  it('closes when the trial succeeds', () => {
    const { breaker, clock } = setup(2, 1_000);
    breaker.failure();
    breaker.failure();
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state()).toBe('closed');
    expect(breaker.allow()).toBe(true);
    expect(breaker.failure()).toBe(false); // the count starts over
  });

  it('opens for another cooldown when the trial fails, reporting a new open', () => {
    const { breaker, clock } = setup(2, 1_000);
    breaker.failure();
    breaker.failure();
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true);
    expect(breaker.failure()).toBe(true);
    expect(breaker.state()).toBe('open');
    clock.advance(999);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.allow()).toBe(true);
  });

  it('calls onOpen on every open (the first and each failed trial), never per refused call', () => {
    const clock = new FakeClock();
    let opens = 0;
    const breaker = new CircuitBreaker({ failures: 2, cooldownMs: 1_000, clock, onOpen: () => opens++ });
    breaker.failure();
    expect(opens).toBe(0);
    breaker.failure();
    expect(opens).toBe(1);
    for (let i = 0; i < 10; i++) breaker.allow();
    breaker.failure(); // late, from before the open
    expect(opens).toBe(1);
    clock.advance(1_000);
    breaker.allow();
    breaker.failure();
    expect(opens).toBe(2);
  });

  it('ignores late reports of calls made before it opened', () => {
    const { breaker } = setup(1, 1_000);
    expect(breaker.failure()).toBe(true);
    expect(breaker.failure()).toBe(false); // not a second open
    breaker.success(); // a slow call from before: proves nothing
    expect(breaker.state()).toBe('open');
  });

  it('does not stay half-open forever when a trial never reports', () => {
    const { breaker, clock } = setup(1, 1_000);
    breaker.failure();
    clock.advance(1_000);
    expect(breaker.allow()).toBe(true); // a trial whose caller vanished
    clock.advance(999);
    expect(breaker.allow()).toBe(false);
    clock.advance(1);
    expect(breaker.allow()).toBe(true);
  });
});
