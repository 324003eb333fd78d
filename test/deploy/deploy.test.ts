/**
 * The deployment files in deploy/ agree with the program they run: the command and its flags,
 * the port, the health paths, the stop signal and timeouts, the config and environment names.
 * (`nomad job validate` of the job file runs in the real-Nomad tier.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { loadConfig, splitHostPort } from '../../src/config';
import { startHarness, type Harness } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; engines: { node: string }; files: string[] };
const BIN = Object.keys(pkg.bin)[0] as string;
const DEFAULTS = loadConfig({ env: {} });
const DEFAULT_PORT = splitHostPort(DEFAULTS.api_addr).port;
const CLI = read('src/cli.ts');

/** The long options the CLI declares (parseArgs options block). */
const CLI_FLAGS = new Set([...(/options: \{([\s\S]*?)\n {6}\},/.exec(CLI)?.[1] ?? '').matchAll(/^\s*'?([a-z-]+)'?: \{ type:/gm)].map((m) => `--${m[1]}`));

/** Environment names the service reads: Nomad's CLI variables, DTLE_API_ADDR, DTLE_COMPAT_<KEY>. */
const ENV_NAMES = new Set([
  ...[...read('src/config/index.ts').matchAll(/\['([A-Z_]+)', '[a-z_]+'\]/g)].map((m) => m[1] as string),
  ...Object.keys(DEFAULTS).map((k) => `DTLE_COMPAT_${k.toUpperCase()}`),
]);

/** Seconds of a Go duration like "30s" or "1m". */
function seconds(d: string): number {
  const m = /^(\d+)(s|m)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function served(p: string): Promise<number> {
  return (await request(h.built.app).get(p)).status;
}

describe('the CLI flags the deploy files use exist', () => {
  it('the parsed flag list is the one --help documents', () => {
    expect([...CLI_FLAGS].sort()).toEqual(['--check', '--config', '--demo', '--help', '--log-format', '--version']);
  });
});

describe('deploy/dtle-compat.service (systemd)', () => {
  const unit = read('deploy/dtle-compat.service');
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];

  it('runs the installed bin with flags the CLI has, as an unprivileged user', () => {
    const exec = value('ExecStart')?.split(/\s+/) ?? [];
    expect(exec.slice(0, 2)).toEqual(['/usr/bin/env', BIN]);
    for (const arg of exec.slice(2).filter((a) => a.startsWith('--'))) expect(CLI_FLAGS).toContain(arg);
    expect(value('User')).toBe('dtle-compat');
    expect(unit).toContain('useradd --system --no-create-home --shell /usr/sbin/nologin dtle-compat');
  });

  it('reads the config file it names, which its install notes create, from a read-only path', () => {
    const file = /--config (\S+)/.exec(value('ExecStart') ?? '')?.[1] ?? '';
    expect(file).toBe('/etc/dtle-compat/config.json');
    expect(unit).toContain(`echo '{}' > ${file}`);
    expect(value('ReadOnlyPaths')).toBe(path.dirname(file));
    expect(value('EnvironmentFile')).toBe('-/etc/dtle-compat/env');
  });

  it('stops with SIGTERM and waits longer than the service drains; no restart loop on a config error', () => {
    expect(value('KillSignal')).toBe('SIGTERM');
    expect(Number(value('TimeoutStopSec'))).toBeGreaterThan(DEFAULTS.shutdown_timeout_ms / 1000);
    expect(value('Restart')).toBe('on-failure');
    // the CLI exits 2 on a bad config (test/cli.test.ts)
    expect(value('RestartPreventExitStatus')).toBe('2');
    expect(CLI).toMatch(/if \(e instanceof ConfigError\) \{\n\s*process\.stderr\.write\(`dtle-compat: \$\{e\.message\}\\n`\);\n\s*return 2;/);
  });
});

describe('deploy/dtle-compat.nomad.hcl (Nomad system job)', () => {
  const job = read('deploy/dtle-compat.nomad.hcl');

  it('is a system job constrained to the hosts marked as servers', () => {
    expect(job).toMatch(/^ {2}type {8}= "system"$/m);
    expect(job).toMatch(/constraint \{\n(\s*#.*\n)?\s*attribute = "\$\{meta\.nomad_server\}"\n\s*value {5}= "true"\n\s*\}/);
    expect(job).toContain('meta { nomad_server = "true" }');
  });

  it('listens on the static port the legacy clients use, on the address Nomad gives the port', () => {
    expect(job).toMatch(new RegExp(`port "api" \\{\\n\\s*static = ${DEFAULT_PORT}\\n`));
    expect(job).toMatch(new RegExp(`DTLE_API_ADDR = "\\$\\{NOMAD_IP_api\\}:${DEFAULT_PORT}"`));
  });

  it('runs the bin with flags the CLI has and sets only environment names the service reads', () => {
    const args = /args {4}= \[(.*)\]/.exec(job)?.[1]?.split(',').map((a) => JSON.parse(a.trim()) as string) ?? [];
    expect(args[0]).toBe(BIN);
    for (const a of args.filter((x) => x.startsWith('--'))) expect(CLI_FLAGS).toContain(a);
    const env = /env \{\n([\s\S]*?)\n\s*\}/.exec(job)?.[1] ?? '';
    const names = [...env.matchAll(/^\s*([A-Z_]+)\s*=/gm)].map((m) => m[1] as string);
    expect(names).toEqual(['DTLE_API_ADDR', 'NOMAD_ADDR']);
    for (const n of [...names, 'NOMAD_TOKEN']) expect(ENV_NAMES).toContain(n);
    expect(job).toMatch(/NOMAD_TOKEN=\{\{ \.token \}\}/);
    expect(job).toContain('env         = true');
  });

  it('checks readiness on a path the service serves, and stops it gracefully', async () => {
    const check = /check \{[\s\S]*?path {5}= "([^"]+)"/.exec(job)?.[1] ?? '';
    expect(check).toBe('/-/ready');
    expect(await served(check)).toBe(200);
    expect(job).toContain('kill_signal  = "SIGTERM"');
    expect(seconds(/kill_timeout = "([^"]+)"/.exec(job)?.[1] ?? '')).toBeGreaterThan(DEFAULTS.shutdown_timeout_ms / 1000);
  });
});

describe('deploy/Dockerfile', () => {
  const file = read('deploy/Dockerfile');

  it('installs the tarball, runs the bin as a non-root user, on the default port', () => {
    expect(file).toMatch(/^ARG TARBALL$/m);
    expect(file).toMatch(/npm install -g --omit=dev .*\.\/dtle-compat\.tgz/);
    expect(/^ENTRYPOINT \["([^"]+)"\]$/m.exec(file)?.[1]).toBe(BIN);
    expect(/^USER (\S+)$/m.exec(file)?.[1]).toBe('dtle-compat');
    expect(/^EXPOSE (\d+)$/m.exec(file)?.[1]).toBe(String(DEFAULT_PORT));
    expect(file).toContain(`DTLE_API_ADDR=0.0.0.0:${DEFAULT_PORT}`);
    expect(/^STOPSIGNAL (\S+)$/m.exec(file)?.[1]).toBe('SIGTERM');
  });

  it('uses a Node the package supports', () => {
    const major = Number(/^FROM node:(\d+)/m.exec(file)?.[1]);
    expect(major).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(pkg.engines.node)?.[1]));
  });

  it('its health check asks a path the service serves, on the port it listens on', async () => {
    const url = /fetch\('http:\/\/127\.0\.0\.1:(\d+)(\/[^']*)'\)/.exec(file);
    expect(url?.[1]).toBe(String(DEFAULT_PORT));
    expect(url?.[2]).toBe('/-/healthy');
    expect(await served(url?.[2] ?? '')).toBe(200);
  });
});

describe('the package ships what the deploy files need', () => {
  it('the bin, the default config and deploy/ are in package.json files', () => {
    expect(pkg.bin[BIN]).toBe('dist/cli.js');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'config/default.json', 'deploy']));
    expect(pkg.files).toContain('!dist/**/*.map');
  });
});
