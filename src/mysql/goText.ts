/**
 * The error texts 2.x's MySQL checks produced, written from what mysql2 and Node report.
 *
 * 2.x (dtle v2.19.11.0) talked to MySQL through Go's database/sql with go-sql-driver/mysql v1.4.1,
 * and put `err.Error()` into its answers. These functions give the same texts for the same
 * failures: server errors `Error <number>: <message>` (MySQLError.Error), dial errors as Go's
 * net.OpError prints them, Scan failures as database/sql words them. Pure; no I/O.
 */

/** What a failed connect or query said, as Node and mysql2 put it (all fields optional: errors are untyped). */
export interface DriverFailure {
  code?: string | undefined;
  errno?: number | undefined;
  sqlMessage?: string | undefined;
  message?: string | undefined;
  address?: string | undefined;
  port?: number | undefined;
  fatal?: boolean | undefined;
}

/** Reads the fields of a thrown value without trusting its type. */
export function driverFailure(err: unknown): DriverFailure {
  if (typeof err !== 'object' || err === null) return { message: String(err) };
  const o = err as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    code: str(o.code),
    errno: num(o.errno),
    sqlMessage: str(o.sqlMessage),
    message: str(o.message),
    address: str(o.address),
    port: num(o.port),
    fatal: typeof o.fatal === 'boolean' ? o.fatal : undefined,
  };
}

/** Go's JoinHostPort: IPv6 literals in brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The syscall texts Go prints for connect(2) errors (syscall.Errno.Error on Linux). */
const CONNECT_ERRNO: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** Name-resolution failures, as Go's resolver words them. */
const LOOKUP_ERRNO: Readonly<Record<string, string>> = {
  ENOTFOUND: 'no such host',
  EAI_NONAME: 'no such host',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'server misbehaving',
};

/**
 * The text 2.x gave for a failed connect or query to `host:port` (the configured address; Node's
 * error carries the resolved one, which Go prints too).
 */
export function goDriverErrorText(f: DriverFailure, host: string, port: number): string {
  // a server error packet: go-sql-driver/mysql v1.4.1 MySQLError.Error()
  if (f.errno !== undefined && f.sqlMessage !== undefined) return `Error ${f.errno}: ${f.sqlMessage}`;
  const code = f.code ?? '';
  const connectText = CONNECT_ERRNO[code];
  if (connectText) {
    const addr = joinHostPort(f.address ?? host, f.port ?? port);
    return `dial tcp ${addr}: connect: ${connectText}`;
  }
  const lookupText = LOOKUP_ERRNO[code];
  if (lookupText) return `dial tcp: lookup ${host}: ${lookupText}`;
  // mysql2's connectTimeout (Go: the DSN's timeout=5s on the dial)
  if (code === 'ETIMEDOUT') return `dial tcp ${joinHostPort(f.address ?? host, f.port ?? port)}: i/o timeout`;
  // the server closed or reset the connection mid-conversation (go-sql-driver: ErrInvalidConn)
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'PROTOCOL_CONNECTION_LOST') return 'invalid connection';
  return f.message ?? (code || 'unknown error');
}

/** database/sql's Scan error. */
export function goScanError(index: number, column: string, inner: string): string {
  return `sql: Scan error on column index ${index}, name "${column}": ${inner}`;
}

/** database/sql's text when QueryRow finds no row. */
export const GO_ERR_NO_ROWS = 'sql: no rows in result set';

/**
 * database/sql's convertAssign into a *string: bytes and strings as they are, numbers in Go's
 * formatting; NULL cannot be scanned into a string.
 */
export function goScanString(value: unknown): { ok: true; value: string } | { ok: false; error: string } {
  if (typeof value === 'string') return { ok: true, value };
  if (Buffer.isBuffer(value)) return { ok: true, value: value.toString('utf8') };
  if (typeof value === 'number' || typeof value === 'bigint') return { ok: true, value: String(value) };
  if (value === null || value === undefined) return { ok: false, error: 'converting NULL to string is unsupported' };
  return { ok: true, value: String(value) };
}

/** strconv.ParseBool's accepted spellings. */
const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** database/sql's convertAssign into a *bool (driver.Bool.ConvertValue). */
export function goScanBool(value: unknown): { ok: true; value: boolean } | { ok: false; error: string } {
  if (typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (Number(value) === 1) return { ok: true, value: true };
    if (Number(value) === 0) return { ok: true, value: false };
    return { ok: false, error: `sql/driver: couldn't convert ${String(value)} into type bool` };
  }
  const s = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  if (s === undefined) return { ok: false, error: `sql/driver: couldn't convert <nil> (<nil>) into type bool` };
  if (GO_TRUE.has(s)) return { ok: true, value: true };
  if (GO_FALSE.has(s)) return { ok: true, value: false };
  return { ok: false, error: `sql/driver: couldn't convert "${s}" into type bool` };
}
