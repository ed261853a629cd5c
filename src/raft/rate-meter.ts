/**
 * Counts events over the last minute, for `LogStats.recordsPerMinute`. It keeps one count
 * per second, so its memory is bounded however fast entries arrive.
 */
const WINDOW_SECONDS = 60;

/** Events per minute, from per-second counts over a sliding 60-second window. */
export class RateMeter {
  /** Count per second, by the second (ms / 1000, floored) it happened in. */
  private readonly buckets = new Map<number, number>();
  private last: number | undefined;

  constructor(private readonly now: () => number) {}

  /** Records `count` events now. */
  add(count: number): void {
    if (count <= 0) return;
    const time = this.now();
    const second = Math.floor(time / 1000);
    this.buckets.set(second, (this.buckets.get(second) ?? 0) + count);
    this.last = time;
    this.forgetBefore(second - WINDOW_SECONDS + 1);
  }

  /** Events during the last 60 seconds. */
  perMinute(): number {
    const from = Math.floor(this.now() / 1000) - WINDOW_SECONDS + 1;
    this.forgetBefore(from);
    let total = 0;
    for (const count of this.buckets.values()) total += count;
    return total;
  }

  /** Time of the last event, or undefined. */
  get lastTime(): number | undefined {
    return this.last;
  }

  private forgetBefore(second: number): void {
    for (const key of this.buckets.keys()) if (key < second) this.buckets.delete(key);
  }
}
