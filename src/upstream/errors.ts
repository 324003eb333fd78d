import { redactText } from '../logging/redact';

/** How an upstream call (Nomad's, Consul's) failed. */
export type UpstreamErrorKind =
  | 'http' // the upstream answered with a non-2xx status
  | 'unreachable' // no connection (refused, reset, DNS, TLS handshake)
  | 'timeout' // no answer within the timeout
  | 'malformed'; // a 2xx answer that is not the JSON we expect

/** A failed upstream call; keeps the upstream's status and message (secrets scrubbed). */
export abstract class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  /** the upstream's HTTP status; 0 when there was no answer */
  readonly status: number;
  /** the upstream's own error text (plain-text body), or the transport's reason */
  readonly reason: string;
  readonly path: string;

  constructor(upstream: string, kind: UpstreamErrorKind, status: number, reason: string, path: string) {
    const clean = redactText(reason.trim());
    super(kind === 'http' ? `${upstream} ${status}: ${clean}` : `${upstream} ${kind}: ${clean}`);
    this.kind = kind;
    this.status = status;
    this.reason = clean;
    this.path = path;
  }
}
