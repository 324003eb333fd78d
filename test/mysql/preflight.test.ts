/**
 * 2.x's MySQL pre-flight checks without a MySQL server: the decisions and texts through scripted
 * queries, the decoding of a task's Config, the Go texts, and real sockets to a closed port and to
 * a server that never speaks. Expected values are the real 2.x server's (test/fixtures/legacy-2x)
 * or its source (dtle v2.19.11.0 internal/client/driver/mysql.go). The MariaDB tier
 * (preflight.mysql.ts) runs the same checks against a real server.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/logging';
import { emptyTaskValidation, type LegacyTaskValidation } from '../../src/legacy/validation';
import { applierHasPrivileges, extractorHasPrivileges, runChecks, SQL, TEXT, type PreflightTask, type Query, type QueryOutcome } from '../../src/mysql/checks';
import { scrubPassword } from '../../src/mysql/connection';
import { decodePreflightTask, goFormatFloat, goParseInt } from '../../src/mysql/decode';
import { goDriverErrorText, goScanBool } from '../../src/mysql/goText';
import { preflightTask, preflightTasks } from '../../src/mysql/preflight';
import { GTID_PREFIX_ONLY, MARIADB_NO_GTID_MODE, loadAnswered, requestTasks, ValidateAnswer, withGtidError } from '../support/fixtures2x';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A Query answering from a script, recording what was asked. */
function scripted(answers: Partial<Record<string, QueryOutcome>>, fallback?: QueryOutcome): { query: Query; asked: string[] } {
  const asked: string[] = [];
  const query: Query = (sql) => {
    asked.push(sql);
    const a = answers[sql] ?? fallback;
    if (!a) throw new Error(`unexpected query ${sql}`);
    return Promise.resolve(a);
  };
  return { query, asked };
}
const rows = (...r: unknown[][]): QueryOutcome => ({ ok: true, rows: r });
const fail = (error: string): QueryOutcome => ({ ok: false, error });

/** A healthy MySQL 5.7 with GTID on, as dtle wants it. */
const HEALTHY: Record<string, QueryOutcome> = {
  [SQL.version]: rows(['5.7.44-log']),
  [SQL.gtidMode]: rows(['ON']),
  [SQL.masterStatus]: rows(['mysql-bin.000003', 154, '', '', '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171']),
  [SQL.serverId]: rows([1]),
  [SQL.binlog]: rows([1, 'ROW']),
  [SQL.grants]: rows(["GRANT SELECT, SUPER, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'dtle'@'%'"]),
  [SQL.useMysql]: rows(),
};

const task = (Type: string, ExpandSyntaxSupport = false): PreflightTask => ({
  Type,
  Connection: { Host: 'db.example', Port: 3306, User: 'dtle', Password: 'CANARY-pw-7f3a' },
  ExpandSyntaxSupport,
});

const ok = { Success: true, Error: '' };
const zero = { Success: false, Error: '' };

describe('runChecks: 2.x decisions and texts', () => {
  it('Src on a healthy MySQL: every check 2.x sets passes, in 2.x order of queries', async () => {
    const s = scripted(HEALTHY);
    const r = await runChecks(task('Src'), s.query);
    expect(r).toEqual<LegacyTaskValidation>({
      Type: 'Src',
      Connection: ok,
      LogSlaveUpdates: zero,
      MaxAllowedPacket: zero,
      Privileges: ok,
      GtidMode: ok,
      ServerID: ok,
      Binlog: ok,
    });
    expect(s.asked).toEqual([SQL.version, SQL.gtidMode, SQL.masterStatus, SQL.serverId, SQL.binlog, SQL.grants]);
  });

  it('Dest: only Connection and Privileges, two queries', async () => {
    const s = scripted(HEALTHY);
    expect(await runChecks(task('Dest'), s.query)).toEqual({ ...emptyTaskValidation('Dest'), Connection: ok, Privileges: ok });
    expect(s.asked).toEqual([SQL.version, SQL.grants]);
  });

  it('ExpandSyntaxSupport adds `use mysql`, whose error replaces Privileges', async () => {
    const denied = "Error 1044: Access denied for user 'dtle'@'%' to database 'mysql'";
    const s = scripted({ ...HEALTHY, [SQL.useMysql]: fail(denied) });
    const r = await runChecks(task('Dest', true), s.query);
    expect(r.Privileges).toEqual({ Success: false, Error: denied });
    expect(s.asked).toEqual([SQL.version, SQL.grants, SQL.useMysql]);
  });

  it.each([
    ['OFF', 'Must have GTID enabled: OFF'],
    ['ON_PERMISSIVE', 'Must have GTID enabled: ON_PERMISSIVE'],
  ])('GTID_MODE %s: %s, and no show master status', async (mode, text) => {
    const s = scripted({ ...HEALTHY, [SQL.gtidMode]: rows([mode]) });
    expect((await runChecks(task('Src'), s.query)).GtidMode).toEqual({ Success: false, Error: text });
    expect(s.asked).not.toContain(SQL.masterStatus);
  });

  it("a failed SELECT @@GTID_MODE reads 2.x's 'Must have GTID enabled: ' and then the query's error (MariaDB's case; 2.x dropped it)", async () => {
    const s = scripted({ ...HEALTHY, [SQL.gtidMode]: fail(MARIADB_NO_GTID_MODE) });
    expect((await runChecks(task('Src'), s.query)).GtidMode).toEqual({ Success: false, Error: `${GTID_PREFIX_ONLY}${MARIADB_NO_GTID_MODE}` });
  });

  it('GTID on but show master status fails (MySQL 8.4 removed it): that error', async () => {
    const e = "Error 1064: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near 'master status' at line 1";
    const s = scripted({ ...HEALTHY, [SQL.masterStatus]: fail(e) });
    expect((await runChecks(task('Src'), s.query)).GtidMode).toEqual({ Success: false, Error: e });
  });

  it.each([[0], ['0']])('server_id %p: Master - server_id was not set', async (id) => {
    const s = scripted({ ...HEALTHY, [SQL.serverId]: rows([id]) });
    expect((await runChecks(task('Src'), s.query)).ServerID).toEqual({ Success: false, Error: TEXT.serverIdUnset });
  });

  it('a failed SELECT @@SERVER_ID is still Success, with the error kept (2.x)', async () => {
    const s = scripted({ ...HEALTHY, [SQL.serverId]: fail('invalid connection') });
    expect((await runChecks(task('Src'), s.query)).ServerID).toEqual({ Success: true, Error: 'invalid connection' });
  });

  it.each([
    [[0, 'ROW'], 'db.example:3306 must have binary logs enabled'],
    [['0', 'ROW'], 'db.example:3306 must have binary logs enabled'],
    [[1, 'STATEMENT'], TEXT.notRow('db.example:3306')],
    [[1, 'MIXED'], "You must be using ROW binlog format. I can switch it for you, provided --switch-to-rbr and that db.example:3306 doesn't have replicas"],
    [[2, 'ROW'], 'db.example:3306 must have binary logs enabled'],
    [[1, null], TEXT.notRow('db.example:3306')],
  ])('log_bin, binlog_format = %p: %s', async (row, text) => {
    const s = scripted({ ...HEALTHY, [SQL.binlog]: rows(row) });
    expect((await runChecks(task('Src'), s.query)).Binlog).toEqual({ Success: false, Error: text });
  });

  it('every query failing the same way (a closed port): 2.x answer for the seed job (GtidMode with the error after its prefix)', async () => {
    const e = 'dial tcp 127.0.0.1:46185: connect: connection refused';
    const answer = ValidateAnswer.parse(JSON.parse(loadAnswered('validate-seed-job').body));
    const t = (Type: string): PreflightTask => ({ Type, Connection: { Host: '127.0.0.1', Port: 46185, User: 'u', Password: 'p' }, ExpandSyntaxSupport: false });
    expect([await runChecks(t('Src'), scripted({}, fail(e)).query), await runChecks(t('Dest'), scripted({}, fail(e)).query)]).toEqual(withGtidError(answer, MARIADB_NO_GTID_MODE).ValidationTasks);
  });
});

describe("2.x's grant rules", () => {
  it.each([
    ["GRANT ALL PRIVILEGES ON *.* TO 'u'@'%'", true],
    ["GRANT SELECT, SUPER, REPLICATION SLAVE ON *.* TO 'u'@'%'", true],
    ["GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'u'@'%'", true],
    // MariaDB ≥ 10.5 prints REPLICATION CLIENT as BINLOG MONITOR
    ['GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `u`@`%`', false],
    ["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'u'@'%'", false],
    ["GRANT SELECT ON *.* TO 'u'@'%'", false],
  ])('extractor: %s → %p', (grant, expected) => {
    expect(extractorHasPrivileges([grant])).toBe(expected);
  });

  it('extractor: the grants may be spread over several rows', () => {
    expect(extractorHasPrivileges(["GRANT REPLICATION SLAVE, SUPER ON *.* TO 'u'@'%'", "GRANT SELECT ON `db1`.* TO 'u'@'%'"])).toBe(true);
  });

  it.each([
    ["GRANT ALL PRIVILEGES ON `db1`.* TO 'u'@'%'", true],
    ["GRANT SUPER ON *.* TO 'u'@'%'", true],
    ["GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, LOCK TABLES, TRIGGER ON `db1`.* TO 'u'@'%'", true],
    ["GRANT SELECT, INSERT, UPDATE, DELETE ON `db1`.* TO 'u'@'%'", false],
    ["GRANT SUPER ON `db1`.* TO 'u'@'%'", false],
  ])('applier: %s → %p', (grant, expected) => {
    expect(applierHasPrivileges([grant], 'dtle')).toBe(expected);
  });

  it('the Src and Dest texts are 2.x', async () => {
    const s = scripted({ ...HEALTHY, [SQL.grants]: rows(["GRANT USAGE ON *.* TO 'u'@'%'"]) });
    expect((await runChecks(task('Src'), s.query)).Privileges).toEqual({
      Success: false,
      Error: 'User has insufficient privileges for extractor. Needed: SUPER|REPLICATION CLIENT, REPLICATION SLAVE and ALL on *.*',
    });
    expect((await runChecks(task('Dest'), s.query)).Privileges).toEqual({
      Success: false,
      Error: 'user has insufficient privileges for applier. Needed: SUPER|ALL on *.*',
    });
  });
});

describe('decodePreflightTask: 2.x WeakDecode of ConnectionConfig', () => {
  const cfg = (cc: unknown, extra: Record<string, unknown> = {}) => ({ ...extra, ConnectionConfig: cc });

  it("a Port that is not an int: 2.x's text, exactly", () => {
    const c = loadAnswered('validate-mariadb-port-not-a-number');
    const [src] = requestTasks(c);
    expect(c.status).toBe(500);
    expect(decodePreflightTask('Src', src?.Config)).toEqual({ ok: false, error: c.body });
  });

  it.each<[unknown, number]>([
    [3306, 3306],
    ['3306', 3306],
    [3306.9, 3306],
    [true, 1],
    [null, 0],
    [undefined, 0],
    ['0x10', 16],
    ['010', 8],
    ['-1', -1],
  ])('Port %p → %p', (port, expected) => {
    const r = decodePreflightTask('Src', cfg({ Host: 'h', Port: port, User: 'u', Password: 'p' }));
    expect(r.ok && r.task.Connection.Port).toBe(expected);
  });

  it('Port errors are mapstructure texts, sorted and counted', () => {
    expect(decodePreflightTask('Dest', cfg({ Host: ['a'], Port: '' }))).toEqual({
      ok: false,
      error:
        'task "Dest" -> config: 2 error(s) decoding:\n\n' +
        "* 'ConnectionConfig.Host' expected type 'string', got unconvertible type '[]interface {}'\n" +
        '* cannot parse \'ConnectionConfig.Port\' as int: strconv.ParseInt: parsing "": invalid syntax',
    });
    expect(decodePreflightTask('Src', cfg({ Port: {} }))).toEqual({
      ok: false,
      error: "task \"Src\" -> config: 1 error(s) decoding:\n\n* 'ConnectionConfig.Port' expected type 'int', got unconvertible type 'map[string]interface {}'",
    });
  });

  it('keys match case-insensitively; strings take numbers and booleans', () => {
    const r = decodePreflightTask('Src', { connectionconfig: { HOST: 10, port: '3307', user: true, PassWord: 1.5e-7 } });
    expect(r).toEqual({ ok: true, task: { Type: 'Src', Connection: { Host: '10', Port: 3307, User: '1', Password: '0.00000015' }, ExpandSyntaxSupport: false } });
  });

  it('ExpandSyntaxSupport counts only as the JSON boolean true', () => {
    const base = { Host: 'h', Port: 1, User: 'u', Password: 'p' };
    expect(decodePreflightTask('Src', cfg(base, { ExpandSyntaxSupport: true }))).toMatchObject({ ok: true, task: { ExpandSyntaxSupport: true } });
    expect(decodePreflightTask('Src', cfg(base, { ExpandSyntaxSupport: 'true' }))).toMatchObject({ ok: true, task: { ExpandSyntaxSupport: false } });
  });

  it('no ConnectionConfig, or not an object: an error naming it (2.x: no answer, or its map error)', () => {
    expect(decodePreflightTask('Src', {})).toEqual({ ok: false, error: 'task "Src" -> config: ConnectionConfig is missing' });
    expect(decodePreflightTask('Src', cfg('x'))).toEqual({
      ok: false,
      error: "task \"Src\" -> config: 1 error(s) decoding:\n\n* 'ConnectionConfig' expected a map, got 'string'",
    });
  });

  it.each([
    ['9223372036854775807', true],
    ['9223372036854775808', false],
    ['1_000', false],
    ['12a', false],
  ])('goParseInt(%p) ok=%p', (s, valid) => {
    expect(goParseInt(s).ok).toBe(valid);
  });

  it.each([
    [5, '5'],
    [5.5, '5.5'],
    [1e21, '1000000000000000000000'],
    [-2.5e-9, '-0.0000000025'],
  ])('goFormatFloat(%p) = %p', (f, s) => {
    expect(goFormatFloat(f)).toBe(s);
  });
});

describe('Go texts', () => {
  it.each([
    [{ errno: 1045, sqlMessage: "Access denied for user 'u'@'10.0.0.9' (using password: YES)", code: 'ER_ACCESS_DENIED_ERROR' }, "Error 1045: Access denied for user 'u'@'10.0.0.9' (using password: YES)"],
    [{ code: 'ECONNREFUSED', address: '127.0.0.1', port: 3306 }, 'dial tcp 127.0.0.1:3306: connect: connection refused'],
    [{ code: 'ECONNREFUSED', address: '::1', port: 3306 }, 'dial tcp [::1]:3306: connect: connection refused'],
    [{ code: 'EHOSTUNREACH', address: '10.9.9.9', port: 3306 }, 'dial tcp 10.9.9.9:3306: connect: no route to host'],
    [{ code: 'ENOTFOUND' }, 'dial tcp: lookup db.example: no such host'],
    [{ code: 'ETIMEDOUT' }, 'dial tcp db.example:3306: i/o timeout'],
    [{ code: 'PROTOCOL_CONNECTION_LOST', message: 'Connection lost: The server closed the connection.' }, 'invalid connection'],
  ])('%p → %s', (failure, text) => {
    expect(goDriverErrorText(failure, 'db.example', 3306)).toBe(text);
  });

  it.each<[unknown, boolean | string]>([
    [1, true],
    ['1', true],
    ['TRUE', true],
    [0, false],
    ['f', false],
    [2, 'sql/driver: couldn\'t convert 2 into type bool'],
    ['ON', 'sql/driver: couldn\'t convert "ON" into type bool'],
  ])('goScanBool(%p)', (v, expected) => {
    const r = goScanBool(v);
    expect(r.ok ? r.value : r.error).toBe(expected);
  });

  it('scrubPassword hides a quoted password of 4 characters or more', () => {
    expect(scrubPassword("Error 1: bad 'hunter22' here", 'hunter22')).toBe("Error 1: bad '*' here");
    expect(scrubPassword('User has insufficient privileges for extractor', 'x')).toBe('User has insufficient privileges for extractor');
  });
});

describe('preflightTasks: the driver loop of 2.x Job.Validate', () => {
  it("an unknown driver is 2.x's error, and nothing is contacted", async () => {
    expect(await preflightTasks([{ Type: 'Src', Driver: 'Oracle', Config: {} }])).toEqual({
      ok: false,
      error: "failed to create driver for task \"Src\" for validation: unknown driver 'Oracle'",
    });
  });

  it('a Kafka task gets the all-zero result', async () => {
    expect(await preflightTasks([{ Type: 'Dest', Driver: 'Kafka', Config: { Brokers: ['127.0.0.1:1'] } }])).toEqual({
      ok: true,
      ValidationTasks: [emptyTaskValidation('Dest')],
    });
  });
});

describe('real sockets, no MySQL', () => {
  it("a closed port: 2.x's answer for the seed job, exactly", async () => {
    const port = String(await closedPort());
    const capture = loadAnswered('validate-seed-job', [['46185', port]]);
    const result = await preflightTasks(requestTasks(capture));
    expect(result.ok && { DriverConfigValidated: true, Error: '', ValidationTasks: result.ValidationTasks }).toEqual(
      withGtidError(ValidateAnswer.parse(JSON.parse(capture.body)), MARIADB_NO_GTID_MODE),
    );
  });

  it("Host localhost on a closed port: 2.x's answer (the resolved address in the dial error)", async () => {
    const port = String(await closedPort());
    const capture = loadAnswered('validate-mariadb-localhost-closed-port', [['46383', port]]);
    const result = await preflightTasks(requestTasks(capture));
    const expected = withGtidError(ValidateAnswer.parse(JSON.parse(capture.body)), MARIADB_NO_GTID_MODE);
    // Node may try ::1 first where 2.x's Go resolver tried 127.0.0.1: the text then names [::1]
    const normalise = (s: string) => s.replace(`[::1]:${port}`, `127.0.0.1:${port}`);
    expect(JSON.parse(normalise(JSON.stringify(result.ok && result.ValidationTasks)))).toEqual(expected.ValidationTasks);
  });

  it('a server that accepts and never speaks: Connection fails after connectTimeoutMs, the other checks at once', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const r = await preflightTask(
        { Type: 'Src', Connection: { Host: '127.0.0.1', Port: port, User: 'u', Password: 'CANARY-pw-7f3a' }, ExpandSyntaxSupport: false },
        { connectTimeoutMs: 300, queryTimeoutMs: 300 },
      );
      const elapsed = Date.now() - started;
      const timeout = `dial tcp 127.0.0.1:${port}: i/o timeout`;
      expect(r.Connection).toEqual({ Success: false, Error: timeout });
      expect(r.ServerID).toEqual({ Success: true, Error: timeout });
      expect(r.Binlog).toEqual({ Success: false, Error: `127.0.0.1:${port} must have binary logs enabled` });
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it("a server that closes at once: Go's database/sql text", async () => {
    const closer = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', () => r()));
    const port = (closer.address() as net.AddressInfo).port;
    try {
      const r = await preflightTask({ Type: 'Dest', Connection: { Host: '127.0.0.1', Port: port, User: 'u', Password: 'p' }, ExpandSyntaxSupport: false });
      expect(r.Connection).toEqual({ Success: false, Error: 'driver: bad connection' });
    } finally {
      await new Promise<void>((r) => closer.close(() => r()));
    }
  });

  it('a port out of range: Go dialer text, nothing dialled', async () => {
    const r = await preflightTask({ Type: 'Dest', Connection: { Host: '127.0.0.1', Port: 70000, User: 'u', Password: 'p' }, ExpandSyntaxSupport: false });
    expect(r.Connection).toEqual({ Success: false, Error: 'dial tcp: address 70000: invalid port' });
  });

  it('logs one debug line per task with host, port and user, never the password', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      transports: [new winston.transports.Stream({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) })],
    });
    const port = await closedPort();
    const r = await preflightTask(
      { Type: 'Src', Connection: { Host: '127.0.0.1', Port: port, User: 'dtle', Password: 'CANARY-pw-7f3a' }, ExpandSyntaxSupport: false },
      { logger },
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'debug', message: 'mysql pre-flight', task: 'Src', host: '127.0.0.1', port, user: 'dtle' });
    // ServerID is Success (2.x's quirk) although its query failed
    expect(line.failed).toEqual(['Connection', 'Privileges', 'GtidMode', 'Binlog']);
    expect(lines.join('') + JSON.stringify(r)).not.toContain('CANARY-pw-7f3a');
  });
});
