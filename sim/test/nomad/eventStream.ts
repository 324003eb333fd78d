/**
 * A reader of Nomad's event stream (GET /v1/event/stream) for tests, the simulator's and the real
 * agent's alike: the raw bytes as they came, the lines, the frames parsed, and when it ended.
 */
import http from 'node:http';

export interface StreamEvent {
  Topic: string;
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  Payload: Record<string, unknown>;
}

export interface StreamFrame {
  Index: number;
  Events: StreamEvent[];
}

export class EventStreamReader {
  /** every byte of the body, as text */
  raw = '';
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  /** the raw header block as sent (status line and headers) */
  rawHeaders: string[] = [];
  ended = false;
  private readonly waiters = new Set<() => void>();
  private req: http.ClientRequest | null = null;

  private constructor() {}

  /** Opens the stream; resolves once the status and headers are in. */
  static open(base: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const r = new EventStreamReader();
    return new Promise((resolve, reject) => {
      const req = http.get(base + pathAndQuery, { headers, agent: false }, (res) => {
        r.status = res.statusCode ?? 0;
        r.headers = res.headers;
        r.rawHeaders = res.rawHeaders;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          r.raw += d;
          r.wake();
        });
        const end = () => {
          r.ended = true;
          r.wake();
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        resolve(r);
      });
      req.on('error', (e) => {
        if (r.status === 0) reject(e);
        r.ended = true;
        r.wake();
      });
      r.req = req;
    });
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** The complete lines so far (without their newline). */
  lines(): string[] {
    const parts = this.raw.split('\n');
    parts.pop();
    return parts;
  }

  /** The lines parsed, heartbeats (`{}`) included. */
  objects(): unknown[] {
    return this.lines().map((l) => JSON.parse(l) as unknown);
  }

  /** The frames (every line but the heartbeats). */
  frames(): StreamFrame[] {
    return this.lines()
      .filter((l) => l !== '{}')
      .map((l) => JSON.parse(l) as StreamFrame);
  }

  events(): StreamEvent[] {
    return this.frames().flatMap((f) => f.Events);
  }

  /** Waits until `cond` holds (checked at each arrival) or the time is up (throws, saying what it waited for). */
  async until(what: string, cond: (r: EventStreamReader) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this)) {
      const left = deadline - Date.now();
      if (left <= 0 || (this.ended && !cond(this))) {
        if (this.ended && !cond(this)) throw new Error(`event stream ended before ${what}; got: ${this.raw.slice(0, 2000)}`);
        throw new Error(`timed out waiting for ${what}; got: ${this.raw.slice(0, 2000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done() {
          clearTimeout(t);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Waits for the stream's end. */
  closed(timeoutMs = 10_000): Promise<void> {
    return this.until('the end of the stream', (r) => r.ended, timeoutMs);
  }

  /** The client goes away. */
  close(): void {
    this.req?.destroy();
  }
}
