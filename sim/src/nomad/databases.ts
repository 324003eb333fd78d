/**
 * What a simulated dtle task finds where its config points (a MySQL server, Kafka brokers): the
 * simulator's model of the databases around it.
 *
 *   replicates  a database that answers: the task runs and its job replicates (the demo's jobs)
 *   silent      a server that accepts the connection and never answers: dtle waits in the MySQL
 *               handshake, the task stays running and nothing flows (what the real tier's
 *               listeners do)
 *   refused     nothing listens: the task ends at `dial tcp <host>:<port>: connect: connection
 *               refused`, as the real driver's does
 *
 * An endpoint named in the model (`SimOptions.databases`, `SimNomad.databases.set`) answers as
 * told. Otherwise an endpoint on this machine (127.0.0.0/8, ::1, localhost) is dialled for real:
 * refused when nothing listens, silent when something accepts (the simulator speaks no MySQL);
 * any other host replicates.
 */
import net from 'node:net';

export type DatabaseState = 'replicates' | 'silent' | 'refused';

/** One address a task dials: host and port as its config has them. */
export interface Endpoint {
  host: string;
  port: number;
}

/** What a dial found: the state, and for `refused` Go's error text of the dial. */
export type Reach = { state: 'replicates' | 'silent' } | { state: 'refused'; error: string };

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's text of a refused TCP dial (net.OpError): `dial tcp <addr>: connect: connection refused`. */
export function refusedText(e: Endpoint): string {
  return `dial tcp ${joinHostPort(e.host, e.port)}: connect: connection refused`;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/** The syscall texts of the dial errors a loopback dial can meet (Go's syscall.Errno strings). */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connect: connection refused',
  EHOSTUNREACH: 'connect: no route to host',
  ENETUNREACH: 'connect: network is unreachable',
  EADDRNOTAVAIL: 'connect: cannot assign requested address',
};

/** How long a loopback dial may take before it counts as a server that never answers. */
const DIAL_TIMEOUT_MS = 2000;

export class SimDatabases {
  private readonly told = new Map<string, DatabaseState>();

  constructor(initial: Readonly<Record<string, DatabaseState>> = {}) {
    for (const [k, v] of Object.entries(initial)) this.set(k, v);
  }

  /** What the endpoint `host:port` answers from now on (null: the default rule again). */
  set(hostPort: string, state: DatabaseState | null): void {
    const key = hostPort.toLowerCase();
    if (state === null) this.told.delete(key);
    else this.told.set(key, state);
  }

  /** The answer known without dialling: as told, or `replicates` for a host not on this machine; null when it must be dialled. */
  known(e: Endpoint): Reach | null {
    const told = this.told.get(joinHostPort(e.host, e.port).toLowerCase()) ?? this.told.get(`${e.host}:${e.port}`.toLowerCase());
    if (told === 'refused') return { state: 'refused', error: refusedText(e) };
    if (told) return { state: told };
    return LOOPBACK.test(e.host) ? null : { state: 'replicates' };
  }

  /** What a dial of the endpoint finds (a real TCP dial for a loopback endpoint the model does not name). */
  reach(e: Endpoint): Reach | Promise<Reach> {
    return this.known(e) ?? dial(e);
  }
}

function dial(e: Endpoint): Promise<Reach> {
  const host = e.host.replace(/^\[|\]$/g, '');
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 65535) {
    return Promise.resolve({ state: 'refused', error: `dial tcp: address ${joinHostPort(host, e.port)}: invalid port` });
  }
  return new Promise((resolve) => {
    const sock = net.connect({ host, port: e.port });
    const done = (r: Reach) => {
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(DIAL_TIMEOUT_MS, () => done({ state: 'silent' }));
    sock.once('connect', () => done({ state: 'silent' }));
    sock.once('error', (err: NodeJS.ErrnoException & { address?: string; port?: number }) => {
      const what = ERRNO_TEXT[err.code ?? ''] ?? `connect: ${err.message}`;
      const addr = err.address !== undefined ? joinHostPort(err.address, err.port ?? e.port) : joinHostPort(host, e.port);
      done({ state: 'refused', error: `dial tcp ${addr}: ${what}` });
    });
  });
}
