/**
 * dtle jobs as a Nomad user writes them, and a "MySQL" that never answers: what the real-dtle
 * tier (test/e2e) and scripts/capture-dtle.ts run on the real driver. Only node built-ins.
 */
import net from 'node:net';

/** Loopback ports of a job's source and destination databases. */
export interface DbPorts {
  src: number;
  dest: number;
}

/** The task config layout each dtle version's hclspec takes (driver/driver.go of each tag). */
export function dialectOf(version: string): 'per-task' | 'src-only' {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number);
  return a < 4 || (a === 4 && (b < 22 || (b === 22 && c < 11))) ? 'per-task' : 'src-only';
}

/** A Nomad job of two groups of one dtle task each, as PUT /v1/jobs takes it. */
export type NomadDtleJob = {
  ID: string;
  Name: string;
  Type: 'service';
  Datacenters: string[];
  TaskGroups: Array<{ Name: string; Count: number; Tasks: Array<{ Name: string; Driver: string; Config: Record<string, unknown> }> }>;
};

/**
 * A dtle job as a Nomad user writes it (not through dtle-compat): groups and tasks src and dest,
 * driver dtle, in the layout of `version`, its MySQL at the given loopback ports.
 */
export function nomadDtleJob(id: string, name: string, version: string, ports: DbPorts, password: string): NomadDtleJob {
  const conn = (port: number) => ({ Host: '127.0.0.1', Port: port, User: 'root', Password: password });
  const options = { Gtid: '', ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }] };
  const task = (n: string, config: Record<string, unknown>) => ({ Name: n, Driver: 'dtle', Config: config });
  const [src, dest] =
    dialectOf(version) === 'per-task'
      ? [task('src', { ...options, ConnectionConfig: conn(ports.src) }), task('dest', { ConnectionConfig: conn(ports.dest) })]
      : [task('src', { ...options, SrcConnectionConfig: conn(ports.src), DestConnectionConfig: conn(ports.dest) }), task('dest', { DestType: 'mysql' })];
  return {
    ID: id,
    Name: name,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      { Name: 'src', Count: 1, Tasks: [src] },
      { Name: 'dest', Count: 1, Tasks: [dest] },
    ],
  };
}

/**
 * A listener that accepts connections and never answers: a "MySQL" in whose handshake dtle's task
 * waits (its DSN sets a dial timeout only), so the task stays running.
 */
export async function silentListener(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const sock of sockets) sock.destroy();
      server.close();
    },
  };
}
