/**
 * The command line as an operator runs it: `dtle-compat` in a child process (the TypeScript
 * sources, transpiled on load), against the simulated Nomad on loopback.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as httpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimConsul, SimNomad } from '@dtle-compat/sim';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the test run without anything that would configure the service. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(NOMAD_|DTLE_|CONSUL_)/.test(k)) env[k] = v;
  }
  // Consul off unless a test names one (the default 127.0.0.1:8500 may hold anything)
  return { ...env, TS_REGISTER_CACHE: cacheDir, CONSUL_HTTP_ADDR: '', ...extra };
}

function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let dir: string;
let cacheDir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dtle-compat-cli-'));
  cacheDir = mkdtempSync(path.join(dir, 'ts-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('dtle-compat --help, --version, bad flags', () => {
  it('--help prints the usage on stdout and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('dtle-compat: the dtle 2.x HTTP API in front of Nomad 1.x + the dtle plugin');
    expect(r.stdout).toContain('\nUsage: dtle-compat [options]\n');
    for (const flag of ['--config FILE', '--log-format FORMAT', '--check', '--demo', '--version', '--help']) expect(r.stdout).toContain(`\n  ${flag} `);
  });

  it('-h is --help', async () => {
    const r = await runCli(['-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: dtle-compat [options]');
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `dtle-compat ${VERSION}\n`, stderr: '' });
  });

  it('an unknown flag exits 2 naming it, with the usage on stderr', async () => {
    const r = await runCli(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe("Unknown option '--bogus'");
    expect(r.stderr).toContain('Usage: dtle-compat [options]');
  });

  it('a positional argument exits 2', async () => {
    const r = await runCli(['serve']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/^Unexpected argument 'serve'/);
  });

  it('--log-format other than json|text exits 2', async () => {
    const r = await runCli(['--log-format', 'xml']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: '--log-format must be json or text, not "xml"\n' });
  });
});

describe('dtle-compat with a bad configuration', () => {
  it('a bad value in --config FILE exits 2 naming the key', async () => {
    const file = configFile('bad-addr.json', { api_addr: 'nope' });
    const r = await runCli(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`dtle-compat: invalid configuration (defaults, ${file}, environment): "api_addr": must be host:port, e.g. 0.0.0.0:8190\n`);
    const port = await runCli(['--config', configFile('bad-port.json', { api_addr: '0.0.0.0:70000' })]);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/: "api_addr": port must be 0\.\.65535\n$/);
  });

  it('an unknown key exits 2 naming it', async () => {
    const file = configFile('unknown.json', { nomad_adr: 'http://x:4646' });
    const r = await runCli(['--config', file, '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`dtle-compat: invalid configuration (defaults, ${file}, environment): unknown key(s) "nomad_adr"\n`);
  });

  it('a file that is not JSON, or missing, exits 2 naming the file', async () => {
    const file = configFile('broken.json', '{"api_addr": ');
    const broken = await runCli(['--config', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^dtle-compat: config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON: `));
    const missing = await runCli(['--config', path.join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^dtle-compat: cannot read config file .*absent\.json: ENOENT/);
  });

  it('a bad environment value exits 2 naming the key', async () => {
    const r = await runCli(['--check'], { DTLE_COMPAT_FETCH_CONCURRENCY: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dtle-compat: invalid configuration \(defaults, environment\): "fetch_concurrency": /);
  });
});

describe('dtle-compat --check', () => {
  it('against the simulated Nomad: prints the leader, the dtle nodes and the dtle job count, exits 0', async () => {
    const sim = new SimNomad({ nodes: [{ name: 'nomad0' }, { name: 'plain1', dtleVersion: null }] });
    const url = await sim.listen();
    sim.seedDtleJobs(3);
    try {
      const nodes = (await (await fetch(`${url}/v1/nodes`)).json()) as Array<{ ID: string; Name: string }>;
      const dtleNode = nodes.find((n) => n.Name === 'nomad0');
      const port = await closedPort();
      const r = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        [
          `config: ok (api_addr 127.0.0.1:${port}, nomad_addr ${url}, token not set, consul off)`,
          `listen: 127.0.0.1:${port} free`,
          'leader: 127.0.0.1:4647',
          'event stream: ok (replica off)',
          'nodes: 2, with the dtle driver: 1',
          `  nomad0 ${dtleNode?.ID} ready dtle 4.23.04.3`,
          'dtle jobs: 3',
          'consul: off (no address): replication state (Gtid, binlog position, stage, progress, dtle\'s pause) is not read',
          'check: ok',
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(0);
      // the check used the legacy list path: one read of the job list, no write
      expect(sim.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('with ACLs: the configured token is sent and accepted', async () => {
    const sim = new SimNomad({ aclToken: 'right-token-7c1e' });
    const url = await sim.listen();
    sim.seedDtleJobs(1);
    try {
      const port = await closedPort();
      const r = await runCli(['--check'], { NOMAD_ADDR: url, NOMAD_TOKEN: 'right-token-7c1e', DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`config: ok (api_addr 127.0.0.1:${port}, nomad_addr ${url}, token set, consul off)`);
      expect(r.stdout).toContain("\ndtle jobs: 1\nconsul: off (no address): replication state (Gtid, binlog position, stage, progress, dtle's pause) is not read\ncheck: ok\n");
      expect(r.stdout + r.stderr).not.toContain('right-token-7c1e');
    } finally {
      await sim.close();
    }
  });

  it('with the replica on: says whether its event stream can be had', async () => {
    const sim = new SimNomad({ aclToken: 'right-token-7c1e' });
    const url = await sim.listen();
    try {
      const port = await closedPort();
      const good = await runCli(['--check'], { NOMAD_ADDR: url, NOMAD_TOKEN: 'right-token-7c1e', DTLE_COMPAT_REPLICA: 'true', DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(good.stdout).toContain('\nleader: 127.0.0.1:4647\nevent stream: ok (replica on)\nnodes: ');
      expect(good.code).toBe(0);
      sim.calls.length = 0;
      const refused = await runCli(['--check'], { NOMAD_ADDR: url, NOMAD_TOKEN: 'wrong-token-5d2a', DTLE_COMPAT_REPLICA: 'true', DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(refused.stdout).toContain(
        '\nevent stream: no line within 3000 ms: Nomad 1.11 answers so a token without read-job in the namespace or node:read, or an agent with its event broker off (replica on, but reads go to Nomad without it)\n',
      );
      expect(sim.calls.some((c) => c.path === '/v1/event/stream')).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('a refused token: exits 1, says which calls failed and why, never prints the token', async () => {
    const sim = new SimNomad({ aclToken: 'right-token-7c1e' });
    const url = await sim.listen();
    try {
      const port = await closedPort();
      const r = await runCli(['--check'], { NOMAD_ADDR: url, NOMAD_TOKEN: 'wrong-token-5d2a', DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(
        [
          `config: ok (api_addr 127.0.0.1:${port}, nomad_addr ${url}, token set, consul off)`,
          `listen: 127.0.0.1:${port} free`,
          'leader: 127.0.0.1:4647',
          // Nomad 1.11.3 (and the simulator) answer a refused subscription 200, then nothing
          'event stream: no line within 3000 ms: Nomad 1.11 answers so a token without read-job in the namespace or node:read, or an agent with its event broker off (replica off)',
          'nodes: FAILED: Nomad 403: Permission denied',
          'dtle jobs: FAILED: Nomad 403: Permission denied',
          'consul: off (no address): replication state (Gtid, binlog position, stage, progress, dtle\'s pause) is not read',
          'check: FAILED',
          '',
        ].join('\n'),
      );
      expect(r.stdout + r.stderr).not.toContain('wrong-token-5d2a');
    } finally {
      await sim.close();
    }
  });

  it('Nomad unreachable: exits 1 naming the address', async () => {
    const port = await closedPort();
    const r = await runCli(['--check'], { NOMAD_ADDR: `http://127.0.0.1:${port}`, DTLE_API_ADDR: '127.0.0.1:0' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        `config: ok (api_addr 127.0.0.1:0, nomad_addr http://127.0.0.1:${port}, token not set, consul off)`,
        'listen: 127.0.0.1:0 (any free port)',
        `leader: FAILED: Nomad unreachable: cannot reach Nomad at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
        'check: FAILED',
        '',
      ].join('\n'),
    );
  });

  it('no node with the dtle driver: a warning, still exit 0 (nodes may join later)', async () => {
    const sim = new SimNomad({ nodes: [{ name: 'plain1', dtleVersion: null }] });
    const url = await sim.listen();
    try {
      const r = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: '127.0.0.1:0' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('\nnodes: 1, with the dtle driver: 0\nwarning: no node reports the dtle driver: dtle jobs cannot be placed\ndtle jobs: 0\nconsul: off');
      expect(r.stdout.endsWith('check: ok\n')).toBe(true);
    } finally {
      await sim.close();
    }
  });

  it('settings from --config FILE are the ones checked', async () => {
    const sim = new SimNomad();
    const url = await sim.listen();
    try {
      const port = await closedPort();
      const file = configFile('check.json', { nomad_addr: url, api_addr: `127.0.0.1:${port}` });
      const r = await runCli(['--config', file, '--check']);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n').slice(0, 2)).toEqual([`config: ok (api_addr 127.0.0.1:${port}, nomad_addr ${url}, token not set, consul off)`, `listen: 127.0.0.1:${port} free`]);
    } finally {
      await sim.close();
    }
  });
});

describe('dtle-compat --check and Consul', () => {
  it('reports Consul\'s leader and the dtleJobList entries the token reads; never prints the token', async () => {
    const consul = new SimConsul({ aclToken: 'consul-tok-91aa' });
    await consul.listen();
    consul.kv.put('dtleJobList/a', Buffer.from('{"job_id":"a","job_status":"non-paused"}'));
    const sim = new SimNomad();
    const url = await sim.listen();
    try {
      const r = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: '127.0.0.1:0', CONSUL_HTTP_ADDR: consul.addr, CONSUL_HTTP_TOKEN: 'consul-tok-91aa' });
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toBe(`config: ok (api_addr 127.0.0.1:0, nomad_addr ${url}, token not set, consul ${consul.addr})`);
      expect(r.stdout).toContain(`\nconsul: ${consul.url} leader 127.0.0.1:8300, token set, dtleJobList entries: 1\ncheck: ok\n`);
      expect(consul.callHeaders.map((h) => h['x-consul-token'])).toEqual(['consul-tok-91aa', 'consul-tok-91aa']);
      expect(r.stdout + r.stderr).not.toContain('consul-tok-91aa');
    } finally {
      await sim.close();
      await consul.close();
    }
  });

  it('Consul refusing the token or unreachable is a warning: exit 0 (the service answers what Nomad holds)', async () => {
    const consul = new SimConsul({ aclToken: 'consul-tok-91aa' });
    await consul.listen();
    const sim = new SimNomad();
    const url = await sim.listen();
    const closed = await closedPort();
    try {
      const refused = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: '127.0.0.1:0', CONSUL_HTTP_ADDR: consul.url, CONSUL_HTTP_TOKEN: 'wrong-tok-3b3b' });
      expect(refused.code).toBe(0);
      expect(refused.stdout).toContain(
        `\nconsul: FAILED: Consul 403: ACL not found\nwarning: without Consul, statistics and pause lack dtle's own state (the service still answers what Nomad holds)\ncheck: ok\n`,
      );
      expect(refused.stdout + refused.stderr).not.toContain('wrong-tok-3b3b');
      const down = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: '127.0.0.1:0', CONSUL_HTTP_ADDR: `127.0.0.1:${closed}` });
      expect(down.code).toBe(0);
      expect(down.stdout).toContain(`\nconsul: FAILED: Consul unreachable: cannot reach Consul at http://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}\n`);
    } finally {
      await sim.close();
      await consul.close();
    }
  });
});

describe('dtle-compat --check on api_addr', () => {
  it('a port another program holds (the dtle plugin\'s own API, say): exits 1 and says so', async () => {
    const sim = new SimNomad();
    const url = await sim.listen();
    const sockets = new Set<import('node:net').Socket>();
    const other = createServer((s) => {
      sockets.add(s);
      s.end('not http\n');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const port = (other.address() as { port: number }).port;
    try {
      const r = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(r.code).toBe(1);
      expect(r.stdout.split('\n').slice(1, 3)).toEqual([
        `listen: FAILED: 127.0.0.1:${port} is in use by another program (the dtle plugin's own api_addr? move it: docs/operations.md)`,
        'leader: 127.0.0.1:4647',
      ]);
      expect(r.stdout.endsWith('\ncheck: FAILED\n')).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => other.close(() => r()));
      await sim.close();
    }
  });

  it('a port a running dtle-compat holds (checking beside the running service): ok', async () => {
    const sim = new SimNomad();
    const url = await sim.listen();
    const running = httpServer((req, res) => {
      res.statusCode = req.url === '/-/healthy' ? 200 : 404;
      res.end(req.url === '/-/healthy' ? 'OK\n' : '404 page not found\n');
    });
    await new Promise<void>((r) => running.listen(0, '127.0.0.1', () => r()));
    const port = (running.address() as { port: number }).port;
    try {
      const r = await runCli(['--check'], { NOMAD_ADDR: url, DTLE_API_ADDR: `127.0.0.1:${port}` });
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[1]).toBe(`listen: 127.0.0.1:${port} in use by a running dtle-compat`);
    } finally {
      running.closeAllConnections();
      await new Promise<void>((r) => running.close(() => r()));
      await sim.close();
    }
  });
});

describe('dtle-compat running', () => {
  it('serves the legacy API against the Nomad it is given, and stops on SIGTERM with exit 0', async () => {
    const sim = new SimNomad();
    const url = await sim.listen();
    sim.seedDtleJobs(2);
    const child = spawn(process.execPath, ['-r', REGISTER, CLI, '--log-format', 'json'], {
      cwd: ROOT,
      env: cleanEnv({ NOMAD_ADDR: url, DTLE_API_ADDR: '127.0.0.1:0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      let listening: { api_addr: string } | undefined;
      while (!listening && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        listening = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { message: string; api_addr: string })
          .find((l) => l.message === 'dtle-compat listening');
      }
      expect(listening).toBeDefined();
      const base = `http://${listening?.api_addr}`;
      const jobs = (await (await fetch(`${base}/v1/jobs`)).json()) as Array<{ ID: string }>;
      expect(jobs.map((j) => j.ID)).toEqual(['sim-dtle-00001', 'sim-dtle-00002']);
      expect(await (await fetch(`${base}/-/ready`)).text()).toBe('OK\n');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('"message":"dtle-compat stopped"');
    } finally {
      child.kill('SIGKILL');
      await sim.close();
    }
  });
});
