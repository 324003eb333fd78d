/**
 * One short-lived MySQL session for the pre-flight checks, with mysql2: plain TCP (2.x's DSN had
 * tls=false), utf8mb4, a bounded connect (handshake and authentication included) and a bounded
 * time per query. Failures become the texts 2.x's Go driver gave (src/mysql/goText.ts). After a
 * fatal failure (the connection is gone) every later query answers the same failure at once:
 * nothing reconnects, so one task costs at most the connect timeout plus one query timeout.
 *
 * The password goes to mysql2 and nowhere else: not into errors, results or logs (a server text
 * that quoted it would have it replaced by `*`).
 */
import net from 'node:net';
import mysql from 'mysql2';
import type { MySQLConnection, Query, QueryOutcome } from './checks';
import { driverFailure, goDriverErrorText } from './goText';

export interface SessionOptions {
  /** TCP connect plus handshake and authentication; 2.x's DSN said timeout=5s */
  connectTimeoutMs: number;
  /** each query (2.x had no bound: a server that stops answering hung its validation) */
  queryTimeoutMs: number;
}

export interface Session {
  query: Query;
  close(): Promise<void>;
}

/** mysql2's query timeout error. */
const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

/** A connection the server closed or reset. */
const LOST_CODES: ReadonlySet<string> = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE']);

/**
 * A server's or driver's text with the password replaced by `*`, should it ever quote it. Only
 * passwords of 4 characters or more: a shorter one cannot be told from the words around it.
 */
export function scrubPassword(text: string, password: string): string {
  return password.length >= 4 && text.includes(password) ? text.split(password).join('*') : text;
}

/** The rows of a mysql2 `rowsAsArray` answer; a statement without a result set (`use mysql`) has none. */
function rowsOf(result: unknown): unknown[][] {
  if (!Array.isArray(result)) return [];
  return result.filter((row): row is unknown[] => Array.isArray(row));
}

/**
 * Connects to `conn` and gives a Query bound to that session. Never rejects: a failed connect
 * gives a session whose every query answers the connect failure (as 2.x, whose every query
 * dialled again and failed the same way).
 */
export async function openSession(conn: MySQLConnection, opts: SessionOptions): Promise<Session> {
  const text = (err: unknown): string => {
    const f = driverFailure(err);
    if (f.code === QUERY_TIMEOUT_CODE) return `query timed out after ${opts.queryTimeoutMs} ms`;
    return scrubPassword(goDriverErrorText(f, conn.Host, conn.Port), conn.Password);
  };
  if (!Number.isInteger(conn.Port) || conn.Port < 0 || conn.Port > 65535) {
    // Go's dialer refuses such a port before any packet: "dial tcp: address 70000: invalid port"
    const error = `dial tcp: address ${conn.Port}: invalid port`;
    return { query: () => Promise.resolve({ ok: false, error }), close: () => Promise.resolve() };
  }
  let broken: string | undefined;
  // our own socket, so that ending the session really closes it (mysql2's destroy only half-closes,
  // and a stalled server would keep the socket open)
  const socket = net.connect({ host: conn.Host, port: conn.Port });
  socket.setNoDelay(true);
  const client = mysql.createConnection({
    stream: socket,
    user: conn.User,
    password: conn.Password,
    connectTimeout: opts.connectTimeoutMs,
    charset: 'UTF8MB4_GENERAL_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
  });
  // a connection's late errors (reset, closed by the server) must never go unhandled
  client.on('error', (err: unknown) => {
    broken ??= text(err);
  });

  await new Promise<void>((resolve) => {
    client.once('connect', () => resolve());
    client.once('error', (err: unknown) => {
      // lost before the handshake completed: Go's driver answered driver.ErrBadConn, and
      // database/sql, after its retries, "driver: bad connection"
      broken = LOST_CODES.has(driverFailure(err).code ?? '') ? 'driver: bad connection' : text(err);
      resolve();
    });
  });

  const query: Query = (sql) =>
    new Promise<QueryOutcome>((resolve) => {
      if (broken !== undefined) {
        resolve({ ok: false, error: broken });
        return;
      }
      client.query({ sql, timeout: opts.queryTimeoutMs, rowsAsArray: true }, (err: unknown, result: unknown) => {
        if (err) {
          const message = text(err);
          const f = driverFailure(err);
          if (f.fatal) broken ??= message;
          if (f.code === QUERY_TIMEOUT_CODE) {
            // a server that stalled once is not asked again: the session ends here
            broken ??= message;
            socket.destroy();
          }
          resolve({ ok: false, error: message });
          return;
        }
        resolve({ ok: true, rows: rowsOf(result) });
      });
    });

  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve();
      };
      // a polite COM_QUIT when the session is healthy, but never a wait beyond one query timeout
      const timer = setTimeout(done, broken === undefined ? opts.queryTimeoutMs : 0);
      timer.unref();
      if (broken === undefined) client.end(done);
      else done();
    });

  return { query, close };
}
