/**
 * Buffered text output to stdout that respects backpressure (a slow pipe must not make us hold a
 * whole dump in memory) and turns EPIPE (the reader went away) into {@link OutputClosed}.
 */
import { once } from 'node:events';
import { ioError } from '../errors.js';
import { OutputClosed } from './exit.js';

const CHUNK_CHARS = 64 * 1024;

export class LineOutput {
  private readonly stream: NodeJS.WritableStream;
  private pieces: string[] = [];
  private buffered = 0;
  private failure: NodeJS.ErrnoException | undefined;

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
    // Without a listener an EPIPE would crash the process with a stack trace.
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= error;
    });
  }

  /** Queues `text`; writes once enough has gathered. */
  async write(text: string): Promise<void> {
    this.check();
    this.pieces.push(text);
    this.buffered += text.length;
    if (this.buffered >= CHUNK_CHARS) await this.flush();
  }

  /** Writes everything queued and waits until the stream accepts more. */
  async flush(): Promise<void> {
    this.check();
    if (this.buffered === 0) return;
    const text = this.pieces.join('');
    this.pieces = [];
    this.buffered = 0;
    if (!this.stream.write(text)) await this.drained();
    this.check();
  }

  private async drained(): Promise<void> {
    try {
      await once(this.stream, 'drain');
    } catch (error) {
      this.failure ??= error as NodeJS.ErrnoException;
    }
  }

  private check(): void {
    if (this.failure === undefined) return;
    if (this.failure.code === 'EPIPE') throw new OutputClosed();
    throw ioError('write', 'stdout', this.failure);
  }
}
