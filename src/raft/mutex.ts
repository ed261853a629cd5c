/**
 * A first-come, first-served lock: the Raft log runs each mutating call's decision and
 * hard-state write under it, so calls take effect one at a time and final-data updates never
 * overlap (RLG-075). {@link tryLock} takes a free lock without yielding, so that appends issued
 * together all reach the tail before its first sync and share it (group commit).
 */
export class Mutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  /** Takes the lock now if it is free; returns the function that releases it, or undefined. */
  tryLock(): (() => void) | undefined {
    if (this.locked) return undefined;
    this.locked = true;
    return this.releaser();
  }

  /** Waits for every earlier holder and waiter, then resolves with the release function. */
  async lock(): Promise<() => void> {
    const now = this.tryLock();
    if (now !== undefined) return now;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The lock passes straight to the first waiter, so a tryLock cannot overtake the queue.
      const next = this.waiters.shift();
      if (next === undefined) this.locked = false;
      else next();
    };
  }
}
