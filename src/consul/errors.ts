import { UpstreamError, type UpstreamErrorKind } from '../upstream/errors';

/** How a Consul call failed (the same kinds as a Nomad call's). */
export type ConsulErrorKind = UpstreamErrorKind;

/** A failed Consul call; keeps Consul's status and message (the token scrubbed, never a KV value). */
export class ConsulError extends UpstreamError {
  constructor(kind: ConsulErrorKind, status: number, reason: string, path: string) {
    super('Consul', kind, status, reason, path);
    this.name = 'ConsulError';
  }
}

/** The status a legacy caller gets when a Consul call it depends on failed: 504 when Consul did not answer in time, else 502. */
export function legacyStatusOfConsul(e: ConsulError): number {
  return e.kind === 'timeout' ? 504 : 502;
}
