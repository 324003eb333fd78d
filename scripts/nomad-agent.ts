/**
 * A real Nomad 1.x dev agent for the real-Nomad test tier (test/e2e) and the benchmark
 * (bench/real-nomad.ts): the pinned binary from scripts/nomad.sh, `nomad agent -dev` bound to
 * 127.0.0.1 on free ports (http, rpc, serf) with a temporary data dir, optionally with ACLs on
 * and the raw_exec driver enabled. Only node built-ins: the benchmark's build compiles this file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Environment variable naming a nomad binary to use instead of asking scripts/nomad.sh. */
export const NOMAD_BIN_ENV = 'DTLE_COMPAT_NOMAD_BIN';

/** The repository root: the nearest folder above `from` holding scripts/nomad.sh (works from src and compiled copies). */
export function repoRoot(from = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, 'scripts', 'nomad.sh')) && existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no scripts/nomad.sh above ${from}`);
    dir = up;
  }
}

/** The pinned nomad binary: $DTLE_COMPAT_NOMAD_BIN, else `scripts/nomad.sh path` (which may build it). */
export function nomadBinary(): string {
  const given = process.env[NOMAD_BIN_ENV];
  if (given) return given;
  return execFileSync('bash', [path.join(repoRoot(), 'scripts', 'nomad.sh'), 'path'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface NomadAgentOptions {
  /** the nomad binary (default nomadBinary()) */
  bin?: string;
  /** folder in which the agent's temporary folder is made (default os.tmpdir()) */
  parentDir?: string;
  /** `acl { enabled = true }` (bootstrap with bootstrapAcl) */
  acl?: boolean;
  /** `plugin "raw_exec" { config { enabled = true } }` */
  rawExec?: boolean;
  /** agent log level (default INFO; the log is in <dir>/agent.log) */
  logLevel?: string;
  /** wait until the agent's client node is ready with these drivers healthy (needs no ACL) */
  waitForDrivers?: string[];
  /** how long to wait for a leader (and the node), ms (default 60000) */
  timeoutMs?: number;
}

export interface NomadAgent {
  /** http://127.0.0.1:<http port> */
  url: string;
  ports: { http: number; rpc: number; serf: number };
  /** the temporary folder: agent.hcl, agent.log, nomad.pid, data/ */
  dir: string;
  proc: ChildProcess;
  /** the agent's log so far */
  log(): string;
  /** SIGINT, then SIGKILL after graceMs (default 10000); removes the folder. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** The agent configuration (HCL). */
export function agentHcl(dir: string, ports: { http: number; rpc: number; serf: number }, opts: NomadAgentOptions): string {
  return [
    `data_dir  = "${path.join(dir, 'data')}"`,
    'bind_addr = "127.0.0.1"',
    `log_level = "${opts.logLevel ?? 'INFO'}"`,
    `ports {\n  http = ${ports.http}\n  rpc  = ${ports.rpc}\n  serf = ${ports.serf}\n}`,
    // the cloud fingerprinters probe metadata endpoints off this host, and env_aws makes the agent
    // exit at start when AWS_CA_BUNDLE is set
    'client {\n  options {\n    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"\n  }\n}',
    ...(opts.rawExec ? ['plugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}'] : []),
    ...(opts.acl ? ['acl {\n  enabled = true\n}'] : []),
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function getJson(url: string, token?: string): Promise<unknown> {
  const r = await fetch(url, { headers: token ? { 'X-Nomad-Token': token } : {}, signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Starts `nomad agent -dev` on loopback and waits for its leader (and node, when asked). */
export async function startNomadAgent(opts: NomadAgentOptions = {}): Promise<NomadAgent> {
  const bin = opts.bin ?? nomadBinary();
  const parent = opts.parentDir ?? os.tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, 'dtle-compat-nomad-'));
  const ports = { http: await freePort(), rpc: await freePort(), serf: await freePort() };
  writeFileSync(path.join(dir, 'agent.hcl'), agentHcl(dir, ports, opts));
  const logFile = path.join(dir, 'agent.log');
  const fd = openSync(logFile, 'a');
  const proc = spawn(bin, ['agent', '-dev', '-bind', '127.0.0.1', '-config', path.join(dir, 'agent.hcl')], {
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  // for a caller's trap: every agent's pid is in its folder
  if (proc.pid !== undefined) writeFileSync(path.join(dir, 'nomad.pid'), `${proc.pid}\n`);
  let exited: string | null = null;
  const gone = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
    proc.once('error', (e) => {
      exited = e.message;
      resolve();
    });
  });
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let stopping: Promise<void> | null = null;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (exited === null) {
        proc.kill('SIGINT');
        const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(killer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const url = `http://127.0.0.1:${ports.http}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const failed = async (what: string): Promise<never> => {
    const text = log().split('\n').slice(-40).join('\n');
    await stop(2000);
    throw new Error(`${what}; the agent's log ends with:\n${text}`);
  };
  for (;;) {
    if (exited !== null) return failed(`the Nomad agent exited at start (${exited})`);
    try {
      if ((await getJson(`${url}/v1/status/leader`)) !== '') break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) return failed('the Nomad agent elected no leader in time');
    await sleep(200);
  }
  const drivers = opts.waitForDrivers ?? [];
  if (drivers.length > 0) {
    for (;;) {
      if (exited !== null) return failed(`the Nomad agent exited (${exited})`);
      try {
        const nodes = (await getJson(`${url}/v1/nodes`)) as Array<{ Status: string; Drivers?: Record<string, { Healthy?: boolean }> }>;
        if (nodes.some((n) => n.Status === 'ready' && drivers.every((d) => n.Drivers?.[d]?.Healthy === true))) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) return failed(`no ready node with healthy ${drivers.join(', ')} in time`);
      await sleep(250);
    }
  }
  return { url, ports, dir, proc, log, stop };
}

/** PUT /v1/acl/bootstrap on an agent with ACLs on: the management token's SecretID. */
export async function bootstrapAcl(url: string): Promise<string> {
  // right after the leader is elected the ACL subsystem may not be ready yet: retry a few times
  let last = '';
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${url}/v1/acl/bootstrap`, { method: 'PUT', body: '{}' });
    const text = await r.text();
    if (r.ok) return (JSON.parse(text) as { SecretID: string }).SecretID;
    last = `${r.status} ${text}`;
    await sleep(200);
  }
  throw new Error(`ACL bootstrap failed: ${last}`);
}
