/**
 * The canary check itself: every response body and log line of the suite is collected (harness
 * apps collect every body they answer, whether a test records it or not), and a leak fails the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { CANARIES, CANARY, canaryDir, checkCanaryDir } from '../support/canary';
import { startHarness } from '../support/harness';
import { canaryJob } from '../reliability/helpers';

const ROOT = path.resolve(__dirname, '..', '..');

describe('checkCanaryDir', () => {
  it('throws, naming file and line, when any canary is in a collected file; removes the directory', () => {
    for (const canary of CANARIES) {
      const dir = mkdtempSync(path.join(tmpdir(), 'canary-probe-'));
      writeFileSync(path.join(dir, 'bodies-1.txt'), `{"ok":true}\n{"Password":"${canary}"}\n`);
      writeFileSync(path.join(dir, 'logs-1.txt'), '{"level":"info"}\n');
      expect(() => checkCanaryDir(dir)).toThrow(new RegExp(`leaked into 1 response bodies or log lines:\\nbodies-1\\.txt:2: `));
      expect(() => readdirSync(dir)).toThrow();
    }
  });

  it('finds a canary inside base64 too (a Consul value passed on), whatever its alignment', () => {
    for (const prefix of ['', 'x', 'xy']) {
      const dir = mkdtempSync(path.join(tmpdir(), 'canary-probe-'));
      const value = Buffer.from(`${prefix}{"SrcConnectionConfig":{"Password":"${CANARY}"}}`).toString('base64');
      writeFileSync(path.join(dir, 'bodies-1.txt'), `[{"Key":"dtle/j/Config","Value":"${value}"}]\n`);
      expect(() => checkCanaryDir(dir)).toThrow(/leaked into 1 response bodies or log lines/);
    }
  });

  it('passes a clean directory and counts what it read', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'canary-probe-'));
    writeFileSync(path.join(dir, 'bodies-1.txt'), '{"Password":"*"}\n');
    expect(checkCanaryDir(dir)).toEqual({ files: 1, bytes: 17, leaks: [] });
  });
});

describe('collection', () => {
  it('runs in this suite: the directory exists and this worker writes to it', async () => {
    expect(canaryDir()).not.toBe('');
    const h = await startHarness();
    const id = `collected-${process.pid}-${Date.now()}`;
    // no record(): the harness app collects the body itself
    expect((await request(h.built.app).post('/v1/jobs').send(canaryJob(id))).status).toBe(200);
    expect((await request(h.built.app).get(`/v1/job/${id}`)).status).toBe(200);
    await h.close();
    const bodies = readFileSync(path.join(canaryDir(), `bodies-${process.pid}.txt`), 'utf8');
    const logs = readFileSync(path.join(canaryDir(), `logs-${process.pid}.txt`), 'utf8');
    expect(bodies).toContain(`"ID":"${id}"`);
    expect(bodies).toContain('"Password":"*"');
    expect(logs).toContain(`"path":"/v1/job/${id}"`);
  });
});

describe('a leak fails the jest run', () => {
  it('a suite whose answer carries the canary makes jest exit non-zero with the leak named', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'canary-run-'));
    mkdirSync(path.join(dir, 'suite'));
    const support = path.join(ROOT, 'test', 'support');
    // two files, so jest uses workers: the collection directory must reach them
    writeFileSync(
      path.join(dir, 'suite', 'leaks.test.js'),
      `const { collect } = require(${JSON.stringify(path.join(support, 'canary.ts'))});\n` +
        `test('leaks', () => { collect('bodies', '{"Password":"' + ${JSON.stringify(CANARY)} + '"}'); });\n`,
    );
    writeFileSync(
      path.join(dir, 'suite', 'clean.test.js'),
      `const { collect } = require(${JSON.stringify(path.join(support, 'canary.ts'))});\n` +
        `test('clean', () => { collect('logs', '{"level":"info","message":"fine"}'); });\n`,
    );
    writeFileSync(
      path.join(dir, 'jest.config.json'),
      JSON.stringify({
        rootDir: ROOT,
        roots: [path.join(dir, 'suite')],
        testMatch: ['**/*.test.js'],
        transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(ROOT, 'tsconfig.json'), isolatedModules: true }] },
        globalSetup: path.join(support, 'globalSetup.ts'),
        globalTeardown: path.join(support, 'globalTeardown.ts'),
        maxWorkers: 2,
        cache: false,
      }),
    );
    const run = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', path.join(dir, 'jest.config.json')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, DTLE_COMPAT_CANARY_DIR: '' },
      timeout: 90_000,
    });
    rmSync(dir, { recursive: true, force: true });
    const out = run.stdout + run.stderr;
    expect(out).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(run.status).not.toBe(0);
    expect(out).toMatch(/a canary password leaked into 1 response bodies or log lines:\nbodies-\d+\.txt:1: \{"Password":"CANARY-pw-7f3a"\}/);
  }, 100_000);
});
