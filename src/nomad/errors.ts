import { redactText } from '../logging/redact';

/** How a Nomad call failed. */
export type NomadErrorKind =
  | 'http' // Nomad answered with a non-2xx status
  | 'unreachable' // no connection (refused, reset, DNS, TLS handshake)
  | 'timeout' // no answer within the timeout
  | 'malformed'; // a 2xx answer that is not the JSON we expect

/** Nomad's UUID index refusing an ID that is not a UUID (go-memdb's UUIDFieldIndex). */
const MALFORMED_ID = /\bindex error: (UUID must be 36 characters|Invalid UUID\b|Input \(without hyphens\) must be even length)/;

/** A failed Nomad call; keeps Nomad's status and message (secrets scrubbed). */
export class NomadError extends Error {
  readonly kind: NomadErrorKind;
  /** Nomad's HTTP status; 0 when there was no answer */
  readonly status: number;
  /** Nomad's own error text (plain-text body), or the transport's reason */
  readonly reason: string;
  readonly path: string;
  /** Nomad's query meta of an error answer (it sets X-Nomad-Index & co. before a 404 too); null when there was none */
  readonly meta: { index: string | null; knownLeader: string | null; lastContact: string | null } | null;

  constructor(kind: NomadErrorKind, status: number, reason: string, path: string, meta: NomadError['meta'] = null) {
    const clean = redactText(reason.trim());
    super(kind === 'http' ? `Nomad ${status}: ${clean}` : `Nomad ${kind}: ${clean}`);
    this.name = 'NomadError';
    this.kind = kind;
    this.status = status;
    this.reason = clean;
    this.path = path;
    this.meta = meta;
  }

  /**
   * Nomad found nothing: a 404, or the 500 Nomad 1.x answers when an allocation, evaluation,
   * node or deployment ID is not a UUID (`alloc lookup failed: index error: UUID must be 36
   * characters`, `… Invalid UUID: …`), since nothing can have such an ID.
   */
  get isNotFound(): boolean {
    return this.kind === 'http' && (this.status === 404 || this.indexError !== null);
  }

  /** The `index error: …` of Nomad's 500 for an ID that is not a UUID (2.x answered it in its own words), else null. */
  get indexError(): string | null {
    if (this.kind !== 'http' || this.status !== 500) return null;
    const m = MALFORMED_ID.exec(this.reason);
    return m ? this.reason.slice(m.index) : null;
  }
}

/**
 * The status a legacy caller gets for a failed Nomad call, on every route (translated, proxied,
 * the operator page): no answer in time 504, no connection or an answer that is not Nomad's JSON
 * 502, Nomad without a leader 503, Nomad's own 4xx/5xx as Nomad gave it.
 */
export function legacyStatusOf(e: NomadError): number {
  switch (e.kind) {
    case 'timeout':
      return 504;
    case 'unreachable':
    case 'malformed':
      return 502;
    case 'http':
      if (e.status === 500 && /no (cluster )?leader/i.test(e.reason)) return 503;
      if (e.status >= 400 && e.status <= 599) return e.status;
      return 502;
  }
}
