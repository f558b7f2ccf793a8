import type { StockChangeEvent, StockChangePublisher } from '#shared/outbound/events.ts';

/** A StockChangePublisher that keeps what it was handed, call by call; `failNext` makes the next call throw. */
export class RecordingPublisher implements StockChangePublisher {
  readonly calls: StockChangeEvent[][] = [];
  failNext = false;

  async publish(events: readonly StockChangeEvent[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('publish failed');
    }
    this.calls.push([...events]);
  }

  get events(): StockChangeEvent[] {
    return this.calls.flat();
  }
}
