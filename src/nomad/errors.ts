import { UpstreamError, type UpstreamErrorKind } from '../upstream/errors';

/** How a Nomad call failed. */
export type NomadErrorKind = UpstreamErrorKind;

/** Nomad's UUID index refusing an ID that is not a UUID (go-memdb's UUIDFieldIndex). */
const MALFORMED_ID = /\bindex error: (UUID must be 36 characters|Invalid UUID\b|Input \(without hyphens\) must be even length)/;

/** A failed Nomad call; keeps Nomad's status and message (secrets scrubbed). */
export class NomadError extends UpstreamError {
  /** Nomad's query meta of an error answer (it sets X-Nomad-Index & co. before a 404 too); null when there was none */
  readonly meta: { index: string | null; knownLeader: string | null; lastContact: string | null } | null;

  constructor(kind: NomadErrorKind, status: number, reason: string, path: string, meta: NomadError['meta'] = null) {
    super('Nomad', kind, status, reason, path);
    this.name = 'NomadError';
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
