// Outages longer than the queue's patience. While the database is unreachable, a failed record
// is hidden for longer after each receive (exponential backoff through its visibility time-out),
// so an outage of hours spends few receives and sends nothing to the DLQ; once the database
// answers again, whatever did reach the DLQ is moved back (poison events never get there: they
// are set aside in the database with their reason).

/** The events queue as the consumer controls it. */
export interface QueueControl {
  /** Hides each record for its `seconds` (from now), so its next receive comes that much later. */
  delay(records: { receiptHandle: string; seconds: number }[]): Promise<void>;
  /** Messages waiting in the DLQ (approximate, as SQS counts). */
  deadLettered(): Promise<number>;
  /** Moves the DLQ's messages back to the events queue. */
  redrive(): Promise<void>;
}

/** Visibility after the `receiveCount`-th failed receive: base × 3^(n−1), capped (SQS: 12 h). */
export const backoffS = (receiveCount: number, baseS: number, capS: number): number => {
  const n = Math.max(1, Math.floor(receiveCount) || 1);
  return Math.min(capS, Math.round(baseS * 3 ** Math.min(n - 1, 30)));
};

/** How long a record may wait in all before the DLQ takes it: the sum of its first receives' delays. */
export const patienceS = (maxReceiveCount: number, baseS: number, capS: number): number => {
  let total = 0;
  for (let n = 1; n <= maxReceiveCount; n++) total += backoffS(n, baseS, capS);
  return total;
};

export interface DlqRecoveryDeps {
  control: Pick<QueueControl, 'deadLettered' | 'redrive'>;
  /** At most one look at the DLQ per interval per container. */
  intervalMs: number;
  now?: () => number;
  log?: (message: string, extra?: Record<string, unknown>) => void;
}

/** After a batch the database accepted: if the DLQ holds events, move them back (rate-limited). */
export class DlqRecovery {
  readonly #d: DlqRecoveryDeps;
  #lastAt = Number.NEGATIVE_INFINITY;
  #running: Promise<number> | undefined;

  constructor(deps: DlqRecoveryDeps) {
    this.#d = deps;
  }

  /** Resolves with how many were waiting (0 when not checked); never rejects. */
  afterHealthyBatch(): Promise<number> {
    const now = (this.#d.now ?? Date.now)();
    if (this.#running || now - this.#lastAt < this.#d.intervalMs) return Promise.resolve(0);
    this.#lastAt = now;
    this.#running = this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #check(): Promise<number> {
    try {
      const waiting = await this.#d.control.deadLettered();
      if (waiting > 0) {
        await this.#d.control.redrive();
        this.#d.log?.('database answers again: moving the DLQ back to the events queue', { waiting });
      }
      return waiting;
    } catch (err) {
      // A move task already running, or SQS briefly unavailable: the next interval tries again.
      this.#d.log?.('DLQ move-back not started; next interval', { error: err instanceof Error ? err.message : String(err) });
      return 0;
    }
  }
}
