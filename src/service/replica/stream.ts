/**
 * Nomad's event stream (GET /v1/event/stream, command/agent/event_endpoint.go): newline-delimited
 * JSON, one line per raft index with events of the subscribed topics (`{"Index":12,"Events":[…]}`)
 * and heartbeats `{}`. Nomad 1.11 sends a heartbeat as soon as the subscription is made and then
 * every 30 s (nomad/stream/ndjson.go); a connection without a byte for three heartbeat intervals
 * is dead and is opened again. Reconnects back off exponentially.
 *
 * How a refusal shows: Nomad 1.11.3 hijacks the connection and writes its 200 header before the
 * server checks the token, then writes nothing and keeps the connection open (captured:
 * test/fixtures/nomad/event-stream/acl.json); a status (403, or 404 from an agent without the
 * endpoint, 500 from one whose event broker is off) is read as such. A connection without its
 * first line within a heartbeat interval and the call timeout is taken for a refusal. Either way
 * the replica has no stream and reads go to Nomad.
 *
 * Frames of one index may come as several lines (Nomad 1.11.3 sends a registration's Job and
 * Evaluation events apart); asked for an index it still buffers, Nomad starts with that index's
 * frames again, asked for one it no longer buffers it starts at the oldest it has, asked for one
 * beyond its newest it starts with its newest (resume.json).
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../../logging';
import type { NomadClient } from '../../nomad/client';
import { NomadError } from '../../nomad/errors';
import { FailureStreak } from '../watch';
import { StreamFrame, TOPICS, type StreamEvent } from './touch';

/** Nomad 1.11's heartbeat interval (NewJsonStream(ctx, 30*time.Second)). */
export const NOMAD_HEARTBEAT_MS = 30_000;
/** The longest line read; a longer one is skipped (and the replica drops everything it keeps). */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;

/** Why the stream is not up. */
export type StreamDown =
  | { kind: 'refused'; status: number; reason: string }
  | { kind: 'unavailable'; status: number; reason: string }
  | { kind: 'closed-before-subscribing' }
  /** 200 and no line within a heartbeat interval and the call timeout: how Nomad 1.11.3 refuses */
  | { kind: 'silent'; ms: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'ended' }
  | { kind: 'dead' };

export interface StreamHandlers {
  /** the first line of a connection arrived: from here on every event is delivered */
  subscribed(connection: number): void;
  /** the events of one index */
  frame(index: bigint, events: StreamEvent[]): void;
  /** any line (heartbeat or frame): Nomad was heard from */
  contact(): void;
  /** a line that could not be read (too long, not JSON, not a frame): what it changed is unknown */
  unreadable(why: string): void;
  /** the connection is gone (or never came up) */
  down(why: StreamDown): void;
}

export interface StreamOptions {
  /** the index to ask for on (re)connect */
  fromIndex: () => bigint;
  heartbeatMs?: number;
  /** how long a new connection may stay without its first line (default heartbeat + 10 s) */
  firstLineMs?: number;
  maxLineBytes?: number;
  /** first retry delay, doubled per failure (default 500 ms) */
  retryMs?: number;
  /** longest retry delay (default 30 s) */
  maxRetryMs?: number;
  /** retry delay after a refusal (403/404/400: a token without the rights, an old Nomad; default 60 s) */
  refusedRetryMs?: number;
}

/** Splits a byte stream into lines, each at most `max` bytes; a longer line is reported and skipped. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(
    private readonly max: number,
    private readonly line: (text: string) => void,
    private readonly tooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(10, at);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.skipping) {
        const piece = chunk.subarray(at, end);
        if (this.size + piece.length > this.max) {
          this.skipping = true;
          this.parts = [];
          this.size = 0;
          this.tooLong();
        } else if (piece.length > 0) {
          this.parts.push(piece);
          this.size += piece.length;
        }
      }
      if (nl < 0) return;
      if (!this.skipping) {
        const text = Buffer.concat(this.parts, this.size).toString('utf8');
        this.parts = [];
        this.size = 0;
        if (text.trim() !== '') this.line(text);
      }
      this.skipping = false;
      at = nl + 1;
    }
  }
}

/** The query of a subscription: the replica's topics from `index`. */
export function streamQuery(index: bigint): URLSearchParams {
  const q = new URLSearchParams();
  for (const t of TOPICS) q.append('topic', t);
  q.set('index', index.toString());
  return q;
}

/** Reads one connection's body to its end: lines to the handlers, the dead timer reset by every byte. */
function follow(
  body: Readable,
  opts: { heartbeatMs: number; firstLineMs: number; maxLineBytes: number; handlers: StreamHandlers; connection: number; stopped: () => boolean },
): Promise<StreamDown> {
  const { handlers } = opts;
  return new Promise<StreamDown>((resolve) => {
    let lines = 0;
    let settled = false;
    const finish = (why: StreamDown) => {
      if (settled) return;
      settled = true;
      clearTimeout(dead);
      body.removeAllListeners('data');
      body.destroy();
      resolve(why);
    };
    let dead = setTimeout(() => finish({ kind: 'silent', ms: opts.firstLineMs }), opts.firstLineMs);
    dead.unref();
    const splitter = new LineSplitter(
      opts.maxLineBytes,
      (text) => {
        if (opts.stopped()) return;
        lines++;
        if (lines === 1) handlers.subscribed(opts.connection);
        handlers.contact();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          handlers.unreadable('a line of the event stream is not JSON');
          return;
        }
        const frame = StreamFrame.safeParse(json);
        if (!frame.success) {
          handlers.unreadable('a line of the event stream is neither a heartbeat nor a frame');
          return;
        }
        if (frame.data !== null) handlers.frame(BigInt(frame.data.Index), frame.data.Events);
      },
      () => handlers.unreadable(`a line of the event stream is longer than ${opts.maxLineBytes} bytes`),
    );
    body.on('data', (chunk: Buffer | string) => {
      clearTimeout(dead);
      dead = setTimeout(() => finish({ kind: 'dead' }), opts.heartbeatMs * 3);
      dead.unref();
      splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8'));
    });
    body.once('end', () => finish(lines === 0 ? { kind: 'closed-before-subscribing' } : { kind: 'ended' }));
    body.once('error', (e: Error) => finish(lines === 0 ? { kind: 'closed-before-subscribing' } : { kind: 'failed', reason: e.message }));
    body.once('close', () => finish(lines === 0 ? { kind: 'closed-before-subscribing' } : { kind: 'ended' }));
  });
}

/** What an answer other than 200 means. */
function refusal(status: number, text: string): StreamDown {
  if (status === 401 || status === 403) return { kind: 'refused', status, reason: text };
  if (status === 400 || status === 404 || status === 405 || status === 501) return { kind: 'unavailable', status, reason: text };
  return { kind: 'failed', reason: `Nomad answered ${status}: ${text}` };
}

/** A human reading of why the stream is not up (logs, --check). */
export function describeDown(why: StreamDown): string {
  switch (why.kind) {
    case 'refused':
      return `refused (Nomad answered ${why.status}${why.reason ? `: ${why.reason}` : ''}): the token needs read-job in the namespace and node:read`;
    case 'unavailable':
      return `not available (Nomad answered ${why.status}${why.reason ? `: ${why.reason}` : ''}): a Nomad without the event stream, or with its event broker off`;
    case 'closed-before-subscribing':
      return 'closed before its first line: the token lacks read-job in the namespace or node:read, or the event broker is off';
    case 'silent':
      return `no line within ${why.ms} ms: Nomad 1.11 answers so a token without read-job in the namespace or node:read, or an agent with its event broker off`;
    case 'failed':
      return why.reason;
    case 'ended':
      return 'ended by Nomad';
    case 'dead':
      return 'no byte for three heartbeat intervals';
  }
}

/**
 * Follows Nomad's event stream until stopped: opens it, reads it, opens it again after a loss
 * (backing off; longer after a refusal). Returns a function that stops it.
 */
export function runEventStream(nomad: NomadClient, logger: Logger, handlers: StreamHandlers, opts: StreamOptions): () => void {
  const heartbeatMs = opts.heartbeatMs ?? NOMAD_HEARTBEAT_MS;
  const firstLineMs = opts.firstLineMs ?? heartbeatMs + 10_000;
  const maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const retryMs = opts.retryMs ?? 500;
  const maxRetryMs = opts.maxRetryMs ?? 30_000;
  const refusedRetryMs = opts.refusedRetryMs ?? 60_000;
  const stop = new AbortController();
  const streak = new FailureStreak(logger, 'event stream', '; reads go to Nomad meanwhile');
  let connection = 0;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      t.unref();
      stop.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });

  const once = async (): Promise<{ why: StreamDown; subscribed: boolean }> => {
    const index = opts.fromIndex();
    let open;
    try {
      open = await nomad.openStream('/v1/event/stream', streamQuery(index), stop.signal);
    } catch (e) {
      return { why: { kind: 'failed', reason: e instanceof NomadError ? e.reason : String(e) }, subscribed: false };
    }
    if (open.status !== 200 || !('body' in open)) return { why: refusal(open.status, 'text' in open ? open.text : ''), subscribed: false };
    connection++;
    let subscribed = false;
    const why = await follow(open.body, {
      heartbeatMs,
      firstLineMs,
      maxLineBytes,
      connection,
      stopped: () => stop.signal.aborted,
      handlers: {
        ...handlers,
        subscribed: (n) => {
          subscribed = true;
          streak.succeeded();
          logger.info('event stream subscribed', { index: index.toString(), connection: n });
          handlers.subscribed(n);
        },
      },
    });
    return { why, subscribed };
  };

  const loop = async () => {
    while (!stop.signal.aborted) {
      const { why, subscribed } = await once();
      if (stop.signal.aborted) return;
      handlers.down(why);
      const refused = why.kind === 'refused' || why.kind === 'unavailable' || why.kind === 'silent';
      const delay = refused ? refusedRetryMs : subscribed ? retryMs : Math.min(maxRetryMs, retryMs * 2 ** streak.failures);
      if (subscribed) logger.warn('event stream lost; reconnecting', { reason: describeDown(why), retry_ms: delay });
      else streak.failed(new Error(describeDown(why)), { retry_ms: delay });
      await sleep(delay);
    }
  };
  void loop();
  return () => stop.abort();
}

/**
 * Whether the event stream can be had with the configured token (for --check): opens it and waits
 * for its first line (at most `timeoutMs`).
 */
export async function probeEventStream(nomad: NomadClient, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    const open = await nomad.openStream('/v1/event/stream', streamQuery(0n), stop.signal, true);
    if (open.status !== 200 || !('body' in open)) return { ok: false, text: describeDown(refusal(open.status, 'text' in open ? open.text : '')) };
    const body = open.body;
    const first = await new Promise<'line' | 'closed' | 'timeout'>((resolve) => {
      stop.signal.addEventListener('abort', () => resolve('timeout'), { once: true });
      body.on('data', () => resolve('line'));
      body.once('end', () => resolve('closed'));
      body.once('error', () => resolve('closed'));
      body.once('close', () => resolve('closed'));
    });
    body.destroy();
    if (first === 'line') return { ok: true, text: 'ok' };
    if (first === 'closed') return { ok: false, text: describeDown({ kind: 'closed-before-subscribing' }) };
    return { ok: false, text: describeDown({ kind: 'silent', ms: timeoutMs }) };
  } catch (e) {
    if (stop.signal.aborted) return { ok: false, text: `no answer within ${timeoutMs} ms` };
    return { ok: false, text: e instanceof NomadError ? e.reason : String(e) };
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}
