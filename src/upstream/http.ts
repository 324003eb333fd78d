/**
 * What every upstream HTTP client of the service (Nomad's, Consul's) does the same way: one
 * keep-alive agent with the TLS settings of the CLI it mirrors, axios set up to hand every status
 * and the answer's text to the client, and one reading of why a call got no answer.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AxiosError, type CreateAxiosDefaults } from 'axios';

/** Observes every upstream call (metrics): its operation label, status (or 'error' with its kind) and duration. */
export type UpstreamObserver = (op: string, status: number | 'error', seconds: number, kind?: string) => void;

/** The TLS settings of an upstream, named after the environment variables that set them (for error texts). */
export interface UpstreamTls {
  /** PEM file of the CA; '' = the system CAs */
  cacert: string;
  clientCert: string;
  clientKey: string;
  verify: boolean;
  serverName: string;
  /** the names of the three file settings, for "cannot read …" errors */
  names: { cacert: string; clientCert: string; clientKey: string };
}

export function readPem(file: string, what: string): Buffer | undefined {
  if (file === '') return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** One keep-alive agent: https with the TLS settings when `secure`, else plain http. */
export function keepAliveAgent(secure: boolean, maxSockets: number, tls: UpstreamTls): http.Agent | https.Agent {
  const common = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  if (!secure) return new http.Agent(common);
  const ca = readPem(tls.cacert, tls.names.cacert);
  const cert = readPem(tls.clientCert, tls.names.clientCert);
  const key = readPem(tls.clientKey, tls.names.clientKey);
  return new https.Agent({
    ...common,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    rejectUnauthorized: tls.verify,
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  });
}

/**
 * How every upstream call is made: answers kept as text (parsed by our schemas), every status
 * returned (mapped by us), no redirects, no proxy from the environment, gzip only when asked.
 */
export function upstreamAxiosDefaults(agent: http.Agent | https.Agent, gzip: boolean): CreateAxiosDefaults {
  return {
    httpAgent: agent,
    httpsAgent: agent,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
    decompress: true,
    headers: { 'Accept-Encoding': gzip ? 'gzip' : 'identity' },
  };
}

const TRANSPORT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Node's codes for a server certificate that no trusted CA signed. */
export const UNTRUSTED_CERT = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Why a call got no (whole) answer. */
export type TransportFailure =
  | { kind: 'timeout' }
  /** the answer began and broke off before its end */
  | { kind: 'broken'; status: number }
  /** no connection: refused, reset, DNS, TLS (`untrusted` when the server's certificate is signed by no trusted CA) */
  | { kind: 'unreachable'; message: string; code: string; untrusted: boolean }
  /** anything else axios threw */
  | { kind: 'failed'; message: string };

/** Reads what axios threw for a call that got no answer. */
export function transportFailure(e: unknown): TransportFailure {
  if (!(e instanceof AxiosError)) return { kind: 'failed', message: String(e) };
  const code = e.code ?? '';
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e.message)) return { kind: 'timeout' };
  if (code === 'ERR_BAD_RESPONSE' && /aborted/i.test(e.message)) return { kind: 'broken', status: e.response?.status ?? 0 };
  if (UNTRUSTED_CERT.has(code) || TRANSPORT_ERRORS.has(code) || code.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(e.message)) {
    return { kind: 'unreachable', message: e.message, code, untrusted: UNTRUSTED_CERT.has(code) };
  }
  return { kind: 'failed', message: e.message };
}

/** A header of an axios answer as one string, or null. */
export function headerOf(headers: unknown, name: string): string | null {
  const h = headers as Record<string, unknown>;
  return typeof h[name] === 'string' ? (h[name] as string) : null;
}
