/**
 * Counts events over the last minute, for `LogStats.recordsPerMinute`. It keeps one count per
 * second in a ring of 60 slots, so its memory is fixed however fast entries arrive, and an append
 * costs a clock read and two array writes (no Map, no allocation: it runs once per append call).
 */
const WINDOW_SECONDS = 60;

/** Events per minute, from per-second counts over a sliding 60-second window. */
export class RateMeter {
  /** The second (ms / 1000, floored) each slot counts, or -Infinity for a slot never used. */
  private readonly seconds = new Float64Array(WINDOW_SECONDS).fill(-Infinity);
  private readonly counts = new Float64Array(WINDOW_SECONDS);
  private last: number | undefined;

  constructor(private readonly now: () => number) {}

  /** Records `count` events now. */
  add(count: number): void {
    if (count <= 0) return;
    const time = this.now();
    const second = Math.floor(time / 1000);
    const slot = slotOf(second);
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot] = this.counts[slot]! + count;
    this.last = time;
  }

  /** Events during the last 60 seconds. */
  perMinute(): number {
    const from = Math.floor(this.now() / 1000) - WINDOW_SECONDS + 1;
    let total = 0;
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) if (this.seconds[slot]! >= from) total += this.counts[slot]!;
    return total;
  }

  /** Time of the last event, or undefined. */
  get lastTime(): number | undefined {
    return this.last;
  }
}

/** The ring slot of `second` (seconds before 1970 included). */
function slotOf(second: number): number {
  const slot = second % WINDOW_SECONDS;
  return slot < 0 ? slot + WINDOW_SECONDS : slot;
}
