/**
 * The MySQL pre-flight checks against a real MariaDB (started by scripts/mariadb.sh: loopback, a
 * temporary datadir, binlog ROW, server_id 1, users with and without replication grants). Each
 * case replays a request the real 2.x server validated against such a server
 * (test/fixtures/legacy-2x/validate-mariadb-*.json) and expects 2.x's answer, byte for byte once
 * this server's port and passwords are put in.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { startHarness } from '../support/harness';
import { createLogger } from '../../src/logging';
import { openSession } from '../../src/mysql/connection';
import { preflightTask, preflightTasks } from '../../src/mysql/preflight';
import { CAPTURED_MARIADB, GTID_PREFIX_ONLY, MARIADB_NO_GTID_MODE, loadAnswered, loadCapture, requestTasks, ValidateAnswer, withGtidError } from '../support/fixtures2x';

function env(name: string): string {
  const v = process.env[`DTLE_COMPAT_MARIADB_${name}`];
  if (v === undefined) {
    throw new Error(`DTLE_COMPAT_MARIADB_${name} is not set: run this tier with npm run test:mysql (scripts/mariadb.sh test), which starts MariaDB`);
  }
  return v;
}

const server = {
  host: env('HOST'),
  port: Number(env('PORT')),
  closedPort: Number(env('CLOSED_PORT')),
  version: env('VERSION'),
};
const users = {
  repl: { user: env('REPL_USER'), password: env('REPL_PASSWORD') },
  monitor: { user: env('MONITOR_USER'), password: env('MONITOR_PASSWORD') },
  plain: { user: env('PLAIN_USER'), password: env('PLAIN_PASSWORD') },
  nodb: { user: env('NODB_USER'), password: env('NODB_PASSWORD') },
  admin: { user: env('ADMIN_USER'), password: env('ADMIN_PASSWORD') },
};
const PASSWORDS = Object.values(users).map((u) => u.password);

/** The replication user's connection, and a Src task on it. */
const REPL = { Host: server.host, Port: server.port, User: users.repl.user, Password: users.repl.password };
const replSrc = { Type: 'Src', Connection: REPL, ExpandSyntaxSupport: false };

/** The captures' MariaDB values → this server's. */
const REPLACE: ReadonlyArray<readonly [string, string]> = [
  [CAPTURED_MARIADB.port, String(server.port)],
  [CAPTURED_MARIADB.closedPort, String(server.closedPort)],
  [CAPTURED_MARIADB.passwords.repl, users.repl.password],
  [CAPTURED_MARIADB.passwords.monitor, users.monitor.password],
  [CAPTURED_MARIADB.passwords.plain, users.plain.password],
  [CAPTURED_MARIADB.passwords.nodb, users.nodb.password],
];

const logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _e, cb) {
          logLines.push(chunk.toString());
          cb();
        },
      }),
    }),
  ],
});
const answers: string[] = [];

let admin: mysql.Connection;
beforeAll(async () => {
  admin = await mysql.createConnection({ host: server.host, port: server.port, user: users.admin.user, password: users.admin.password });
});
afterAll(async () => {
  await admin.end();
});

async function setBinlogFormat(format: 'ROW' | 'STATEMENT' | 'MIXED'): Promise<void> {
  await admin.query(`SET GLOBAL binlog_format = '${format}'`);
}

/** Every 2.x capture against MariaDB, and what the server must be set to for it. */
const CASES: ReadonlyArray<{ name: string; binlogFormat?: 'STATEMENT' | 'MIXED'; proves: string }> = [
  { name: 'validate-mariadb-repl', proves: 'Connection, ServerID, Binlog and Privileges pass for a replication user' },
  { name: 'validate-mariadb-port-number', proves: 'a numeric Port works as the string one' },
  { name: 'validate-mariadb-src-only', proves: 'a task without Driver is a MySQL task' },
  { name: 'validate-mariadb-kafka-dest', proves: 'a Kafka task gets the all-zero result' },
  { name: 'validate-mariadb-monitor', proves: 'REPLICATION CLIENT shows as BINLOG MONITOR: no SUPER fails 2.x rule' },
  { name: 'validate-mariadb-plain', proves: 'Privileges fail without replication grants' },
  { name: 'validate-mariadb-wrong-password', proves: 'a wrong password fails Connection with the server error' },
  { name: 'validate-mariadb-unknown-user', proves: 'an unknown user fails Connection' },
  { name: 'validate-mariadb-empty-password', proves: 'a user without password connects' },
  { name: 'validate-mariadb-closed-port', proves: 'a closed port fails every check as 2.x did' },
  { name: 'validate-mariadb-expand-syntax', proves: 'ExpandSyntaxSupport: use mysql passes' },
  { name: 'validate-mariadb-expand-syntax-no-db-access', proves: 'ExpandSyntaxSupport: use mysql fails, its error replaces Privileges' },
  { name: 'validate-mariadb-expand-syntax-string', proves: 'ExpandSyntaxSupport "true" (a string) adds nothing' },
  { name: 'validate-mariadb-binlog-statement', binlogFormat: 'STATEMENT', proves: 'Binlog fails for STATEMENT' },
  { name: 'validate-mariadb-binlog-mixed', binlogFormat: 'MIXED', proves: 'Binlog fails for MIXED' },
  { name: 'validate-mariadb-port-not-a-number', proves: "a Port that is not an int is 2.x's decoding error" },
];

describe(`POST /v1/validate/job through the route, against MariaDB ${server.version}`, () => {
  it.each(['validate-mariadb-repl', 'validate-mariadb-plain', 'validate-mariadb-wrong-password', 'validate-mariadb-kafka-dest'])(
    "%s: 2.x's answer (GtidMode with MariaDB's own error after 2.x's prefix)",
    async (name) => {
      const capture = loadAnswered(name, REPLACE);
      const h = await startHarness();
      try {
        const res = await request(h.built.app).post('/v1/validate/job').set('Content-Type', 'application/json').send(capture.request.body ?? '');
        expect(res.status).toBe(capture.status);
        expect(res.body).toEqual(withGtidError(ValidateAnswer.parse(JSON.parse(capture.body)), MARIADB_NO_GTID_MODE));
        for (const p of PASSWORDS) expect(res.text).not.toContain(p);
      } finally {
        await h.close();
      }
    },
  );
});

describe(`MySQL pre-flight against MariaDB ${server.version}`, () => {
  it.each(CASES)('$name: $proves', async ({ name, binlogFormat }) => {
    const capture = loadAnswered(name, REPLACE);
    if (binlogFormat) await setBinlogFormat(binlogFormat);
    try {
      const result = await preflightTasks(requestTasks(capture), { logger });
      answers.push(JSON.stringify(result));
      if (capture.status === 200) {
        // the route wraps the tasks' results as 2.x did: {DriverConfigValidated: true, Error: '', ValidationTasks}
        expect(result.ok && { DriverConfigValidated: true, Error: '', ValidationTasks: result.ValidationTasks }).toEqual(
          withGtidError(ValidateAnswer.parse(JSON.parse(capture.body)), MARIADB_NO_GTID_MODE),
        );
      } else {
        expect(capture.status).toBe(500);
        expect(result).toEqual({ ok: false, error: capture.body });
      }
    } finally {
      if (binlogFormat) await setBinlogFormat('ROW');
    }
  });

  it("GtidMode: MariaDB's own error is Unknown system variable, shown after 2.x's prefix (2.x dropped it)", async () => {
    const session = await openSession(REPL, { connectTimeoutMs: 5000, queryTimeoutMs: 5000 });
    try {
      expect(await session.query('SELECT @@GTID_MODE')).toEqual({ ok: false, error: "Error 1193: Unknown system variable 'GTID_MODE'" });
    } finally {
      await session.close();
    }
    const r = await preflightTask(replSrc);
    expect(r.GtidMode).toEqual({ Success: false, Error: `${GTID_PREFIX_ONLY}${MARIADB_NO_GTID_MODE}` });
  });

  it('ServerID: MariaDB refuses server_id 0 (stores 1), so the check passes', async () => {
    try {
      await admin.query('SET GLOBAL server_id = 0');
      const [rows] = await admin.query('SELECT @@global.server_id AS id');
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await admin.query('SET GLOBAL server_id = 1');
    }
    const r = await preflightTask(replSrc);
    expect(r.ServerID).toEqual({ Success: true, Error: '' });
  });

  it('a query that outlasts queryTimeoutMs fails at that time, and the session is not retried', async () => {
    const session = await openSession(REPL, { connectTimeoutMs: 5000, queryTimeoutMs: 300 });
    try {
      const started = Date.now();
      expect(await session.query('select sleep(5)')).toEqual({ ok: false, error: 'query timed out after 300 ms' });
      expect(Date.now() - started).toBeLessThan(2000);
      const again = Date.now();
      expect(await session.query('select 1')).toEqual({ ok: false, error: 'query timed out after 300 ms' });
      expect(Date.now() - again).toBeLessThan(50);
    } finally {
      await session.close();
    }
  });

  it('a password with quotes, @, / and : works, and appears nowhere', async () => {
    const password = `p@ss/w:rd'"\\ ${Date.now()}`;
    await admin.query("CREATE USER IF NOT EXISTS 'dtle_odd'@'127.0.0.1'");
    await admin.query("ALTER USER 'dtle_odd'@'127.0.0.1' IDENTIFIED BY ?", [password]);
    await admin.query("GRANT SUPER, REPLICATION SLAVE, SELECT ON *.* TO 'dtle_odd'@'127.0.0.1'");
    const r = await preflightTask(
      { Type: 'Src', Connection: { Host: server.host, Port: server.port, User: 'dtle_odd', Password: password }, ExpandSyntaxSupport: false },
      { logger },
    );
    expect(r.Connection).toEqual({ Success: true, Error: '' });
    expect(r.Privileges).toEqual({ Success: true, Error: '' });
    expect(JSON.stringify(r)).not.toContain(password);
    expect(logLines.join('')).not.toContain(password);
  });

  it('a MySQL task without ConnectionConfig is refused without contacting anything (2.x crashed its handler)', async () => {
    const capture = loadCapture('validate-no-connection-config');
    expect(capture.status).toBeNull();
    expect(await preflightTasks(requestTasks(capture))).toEqual({ ok: false, error: 'task "Src" -> config: ConnectionConfig is missing' });
  });

  it('no password reached an answer or a log line', () => {
    expect(answers.length).toBe(CASES.length);
    expect(logLines.length).toBeGreaterThan(CASES.length);
    const all = answers.join('\n') + logLines.join('');
    for (const p of PASSWORDS) expect(all).not.toContain(p);
    expect(all).not.toContain('not-the-password');
  });
});
