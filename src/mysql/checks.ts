/**
 * 2.x's MySQL pre-flight checks of one task (dtle v2.19.11.0 internal/client/driver/mysql.go:35–224),
 * run against any `Query` function: the same queries in the same order, the same decisions and
 * the same texts, including 2.x's quirks (a failed `SELECT @@SERVER_ID` still counts as success;
 * LogSlaveUpdates and MaxAllowedPacket are never set), with one deliberate difference: a failed
 * `SELECT @@GTID_MODE` reads `Must have GTID enabled: ` followed by the query's error (2.x gave
 * the prefix alone). No I/O of its own: src/mysql/connection.ts gives the real
 * Query, tests give scripted ones.
 */
import { emptyTaskValidation, type LegacyTaskValidation } from '../legacy/validation';
import { GO_ERR_NO_ROWS, goScanBool, goScanError, goScanString } from './goText';

/** One task's connection, as 2.x's ConnectionConfig held it after decoding (Port an int). */
export interface MySQLConnection {
  Host: string;
  Port: number;
  User: string;
  Password: string;
}

/** What the checks of one task need. */
export interface PreflightTask {
  /** the legacy task Type: `Src` gets every check, anything else the applier's two */
  Type: string;
  Connection: MySQLConnection;
  /** 2.x's `Config["ExpandSyntaxSupport"] == true`: also try `use mysql` */
  ExpandSyntaxSupport: boolean;
}

/** A query's rows (each row its column values in order), or the error text 2.x would have had. */
export type QueryOutcome = { ok: true; rows: unknown[][] } | { ok: false; error: string };

export type Query = (sql: string) => Promise<QueryOutcome>;

/** The queries, verbatim from 2.x. */
export const SQL = {
  version: 'select @@global.version',
  gtidMode: 'SELECT @@GTID_MODE',
  masterStatus: 'show master status',
  serverId: 'SELECT @@SERVER_ID',
  binlog: 'select @@global.log_bin, @@global.binlog_format',
  grants: 'show grants for current_user()',
  useMysql: 'use mysql',
} as const;

/** 2.x's texts that are not a driver's. */
export const TEXT = {
  gtidDisabled: (mode: string) => `Must have GTID enabled: ${mode}`,
  serverIdUnset: 'Master - server_id was not set',
  noBinlog: (addr: string) => `${addr} must have binary logs enabled`,
  notRow: (addr: string) =>
    `You must be using ROW binlog format. I can switch it for you, provided --switch-to-rbr and that ${addr} doesn't have replicas`,
  extractorPrivileges:
    'User has insufficient privileges for extractor. Needed: SUPER|REPLICATION CLIENT, REPLICATION SLAVE and ALL on *.*',
  applierPrivileges: 'user has insufficient privileges for applier. Needed: SUPER|ALL on *.*',
} as const;

/** database/sql's QueryRow(...).Scan(&a, &b, …) into strings and bools, column by column, stopping at the first failure. */
type ScanTarget = 'string' | 'bool';
interface Scanned {
  values: Array<string | boolean | undefined>;
  error: string | undefined;
}

async function queryRow(query: Query, sql: string, columns: ReadonlyArray<[string, ScanTarget]>): Promise<Scanned> {
  const out = await query(sql);
  if (!out.ok) return { values: [], error: out.error };
  const row = out.rows[0];
  if (row === undefined) return { values: [], error: GO_ERR_NO_ROWS };
  if (row.length !== columns.length) {
    return { values: [], error: `sql: expected ${row.length} destination arguments in Scan, not ${columns.length}` };
  }
  const values: Array<string | boolean | undefined> = [];
  for (const [i, [name, target]] of columns.entries()) {
    const r = target === 'string' ? goScanString(row[i]) : goScanBool(row[i]);
    if (!r.ok) return { values, error: goScanError(i, name, r.error) };
    values.push(r.value);
  }
  return { values, error: undefined };
}

/** usql.QueryRowsMap: every cell of every row as a string (NULL as ''), or the query's error. */
async function queryStrings(query: Query, sql: string): Promise<{ cells: string[] }> {
  const out = await query(sql);
  // a failed query finds no grant; 2.x's rule text then replaces the error
  if (!out.ok) return { cells: [] };
  return { cells: out.rows.flatMap((row) => row.map((v) => (v === null || v === undefined ? '' : goScan(v)))) };
}

function goScan(v: unknown): string {
  const r = goScanString(v);
  return r.ok ? r.value : '';
}

/** Every given substring is in s (ubase.StringContainsAll). */
function containsAll(s: string, ...subs: string[]): boolean {
  return subs.every((sub) => s.includes(sub));
}

/** The extractor's (Src) grant rule, mysql.go:128–174. */
export function extractorHasPrivileges(grants: readonly string[]): boolean {
  let all = false;
  let superPriv = false;
  let replicationClient = false;
  let replicationSlave = false;
  let select = false;
  for (const grant of grants) {
    if (grant.includes('GRANT ALL PRIVILEGES ON')) all = true;
    if (grant.includes('SUPER')) superPriv = true;
    if (grant.includes('REPLICATION CLIENT')) replicationClient = true;
    if (grant.includes('REPLICATION SLAVE')) replicationSlave = true;
    if (grant.includes('SELECT')) select = true;
  }
  return all || (superPriv && replicationSlave && select) || (replicationClient && replicationSlave && select);
}

/** The applier's (Dest) grant rule, mysql.go:176–215. */
export function applierHasPrivileges(grants: readonly string[], dtleSchemaName: string): boolean {
  let all = false;
  let superPriv = false;
  let dbAll = false;
  for (const grant of grants) {
    if (grant.includes('GRANT ALL PRIVILEGES ON')) all = true;
    if (grant.includes('SUPER') && grant.includes(' ON *.*')) superPriv = true;
    if (grant.includes(`GRANT ALL PRIVILEGES ON \`${dtleSchemaName}\`.\`gtid_executed_v3\``)) dbAll = true;
    if (containsAll(grant, 'ALTER', 'CREATE', 'DELETE', 'DROP', 'INDEX', 'INSERT', 'LOCK TABLES', 'SELECT', 'TRIGGER', 'UPDATE', ' ON')) {
      dbAll = true;
    }
  }
  return all || superPriv || dbAll;
}

export interface CheckOptions {
  /** 2.x's dtle_schema_name (default `dtle`), named by the applier's grant rule */
  dtleSchemaName?: string;
}

/** Runs 2.x's checks of one task through `query`; never throws for what the server answers. */
export async function runChecks(task: PreflightTask, query: Query, opts: CheckOptions = {}): Promise<LegacyTaskValidation> {
  const reply = emptyTaskValidation(task.Type);
  const { Host, Port } = task.Connection;
  // 2.x printed "%s:%d" with the configured host, not Go's JoinHostPort
  const addr = `${Host}:${Port}`;

  const version = await queryRow(query, SQL.version, [['@@global.version', 'string']]);
  reply.Connection = version.error === undefined ? { Success: true, Error: '' } : { Success: false, Error: version.error };

  if (task.Type === 'Src') {
    const gtid = await queryRow(query, SQL.gtidMode, [['@@GTID_MODE', 'string']]);
    const mode = typeof gtid.values[0] === 'string' ? gtid.values[0] : '';
    if (mode !== 'ON') {
      // 2.x overwrote a failed query's error with its text and the empty value read; the error is
      // kept after 2.x's prefix, so that the user sees why (MariaDB: Unknown system variable)
      reply.GtidMode = { Success: false, Error: TEXT.gtidDisabled(gtid.error ?? mode) };
    } else {
      const status = await query(SQL.masterStatus);
      reply.GtidMode = status.ok ? { Success: true, Error: '' } : { Success: false, Error: status.error };
    }

    const serverId = await queryRow(query, SQL.serverId, [['@@SERVER_ID', 'string']]);
    const id = typeof serverId.values[0] === 'string' ? serverId.values[0] : '';
    if (id === '0') reply.ServerID = { Success: false, Error: TEXT.serverIdUnset };
    // 2.x keeps a failed query's error but still sets Success (the value read, '', is not "0")
    else reply.ServerID = { Success: true, Error: serverId.error ?? '' };

    const binlog = await queryRow(query, SQL.binlog, [
      ['@@global.log_bin', 'bool'],
      ['@@global.binlog_format', 'string'],
    ]);
    const logBin = binlog.values[0] === true;
    const format = typeof binlog.values[1] === 'string' ? binlog.values[1] : '';
    if (!logBin) reply.Binlog = { Success: false, Error: TEXT.noBinlog(addr) };
    else if (format !== 'ROW') reply.Binlog = { Success: false, Error: TEXT.notRow(addr) };
    else reply.Binlog = { Success: true, Error: '' };

    const grants = await queryStrings(query, SQL.grants);
    reply.Privileges = extractorHasPrivileges(grants.cells)
      ? { Success: true, Error: '' }
      : { Success: false, Error: TEXT.extractorPrivileges };
  } else {
    const grants = await queryStrings(query, SQL.grants);
    reply.Privileges = applierHasPrivileges(grants.cells, opts.dtleSchemaName ?? 'dtle')
      ? { Success: true, Error: '' }
      : { Success: false, Error: TEXT.applierPrivileges };
  }

  if (task.ExpandSyntaxSupport) {
    const use = await query(SQL.useMysql);
    if (!use.ok) reply.Privileges = { Success: false, Error: use.error };
  }
  return reply;
}
