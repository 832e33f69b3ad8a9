// A circuit breaker over a clock: after `failures` consecutive failed calls it opens and refuses
// calls for `cooldownMs`; then it lets one trial call through (half-open), which closes it on
// success or opens it for another cooldown on failure. Callers report every call they were
// allowed to make, so the breaker never waits on a promise itself. One breaker per dependency
// (the process's Redis), shared by everything that calls it, so they all stop and resume together.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (at least 1). */
  failures: number;
  cooldownMs: number;
  clock: { now(): number };
  /** Called on every open (the first, and after each failed trial): once per outage, not per call. */
  onOpen?: () => void;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #clock: { now(): number };
  readonly #onOpen: () => void;
  #failures = 0;
  /** Set while open or half-open: no call is allowed before it (a granted trial pushes it on). */
  #blockedUntil: number | undefined;
  #trial = false;

  constructor(opts: CircuitBreakerOptions) {
    this.#threshold = Math.max(1, opts.failures);
    this.#cooldownMs = opts.cooldownMs;
    this.#clock = opts.clock;
    this.#onOpen = opts.onOpen ?? (() => {});
  }

  /**
   * Whether a call may go ahead. Past the cooldown, true for exactly one caller (the trial); a
   * trial that never reports stops blocking others after one more cooldown.
   */
  allow(): boolean {
    if (this.#blockedUntil === undefined) return true;
    const now = this.#clock.now();
    if (now < this.#blockedUntil) return false;
    this.#trial = true;
    this.#blockedUntil = now + this.#cooldownMs;
    return true;
  }

  success(): void {
    // A late success of a call made before the breaker opened proves nothing about now.
    if (this.#blockedUntil !== undefined && !this.#trial) return;
    this.#failures = 0;
    this.#blockedUntil = undefined;
    this.#trial = false;
  }

  /** Records a failed call; true when this failure opened the breaker. */
  failure(): boolean {
    if (this.#trial) {
      this.#trial = false;
    } else {
      if (this.#blockedUntil !== undefined) return false; // already open: a call from before
      if (++this.#failures < this.#threshold) return false;
    }
    this.#blockedUntil = this.#clock.now() + this.#cooldownMs;
    this.#onOpen();
    return true;
  }

  state(): BreakerState {
    if (this.#blockedUntil === undefined) return 'closed';
    return !this.#trial && this.#clock.now() < this.#blockedUntil ? 'open' : 'half-open';
  }
}
