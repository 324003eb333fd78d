/**
 * A real Nomad 1.x dev agent for the real-Nomad test tier (test/e2e) and the benchmark
 * (bench/real-nomad.ts): the pinned binary from scripts/nomad.sh, `nomad agent -dev` bound to
 * 127.0.0.1 on free ports (http, rpc, serf) with a temporary data dir, optionally with ACLs on,
 * the raw_exec driver enabled, or the real dtle plugin (scripts/dtle.sh) in its plugin_dir with
 * its NATS, API and Consul on loopback. Only node built-ins: the benchmark's build compiles this file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** Environment variable listing the dtle plugins to load: `<version>=<path>,…` (scripts/test-nomad.sh sets it). */
export const DTLE_PLUGINS_ENV = 'DTLE_COMPAT_DTLE_PLUGINS';

/** The dtle plugin binary of a dtle version: `scripts/dtle.sh path <version>` (which may build it from dtle's source). */
export function dtlePlugin(version: string): string {
  return execFileSync('bash', [path.join(repoRoot(), 'scripts', 'dtle.sh'), 'path', version], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** The dtle versions the tier runs (`scripts/dtle.sh versions`), oldest first. */
export function dtleVersions(): string[] {
  return execFileSync('bash', [path.join(repoRoot(), 'scripts', 'dtle.sh'), 'versions'], { encoding: 'utf8' }).trim().split(/\s+/);
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
  /** more agent configuration (HCL), appended as it is */
  extraHcl?: string;
  /** agent log level (default INFO; the log is in <dir>/agent.log) */
  logLevel?: string;
  /** the real dtle plugin: linked into the agent's plugin_dir, configured on loopback (see dtlePluginHcl) */
  dtle?: { plugin: string; consul: string };
  /** wait until the agent's client node is ready with these drivers healthy (needs no ACL) */
  waitForDrivers?: string[];
  /** how long to wait for a leader (and the node), ms (default 60000) */
  timeoutMs?: number;
}

/** Where an agent's dtle plugin listens: NATS, its own HTTP API (with /metrics), its data dir. */
export interface DtlePluginPorts {
  nats: number;
  api: number;
  dataDir: string;
}

export interface NomadAgent {
  /** http://127.0.0.1:<http port> */
  url: string;
  ports: { http: number; rpc: number; serf: number };
  /** the dtle plugin's addresses when the agent has it */
  dtle?: DtlePluginPorts;
  /** the temporary folder: agent.hcl, agent.log, nomad.pid, data/ */
  dir: string;
  proc: ChildProcess;
  /** the agent's log so far */
  log(): string;
  /** Stops every job, then the agent (AgentProcess.stop). Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The dtle plugin's block: everything on loopback (dtle's defaults bind NATS to 0.0.0.0:8193 and
 * the plugin API would take 8190), nomad_addr at this agent, Consul at `consul`, and
 * publish_metrics on so that its /metrics carries the task gauges.
 */
export function dtlePluginHcl(httpPort: number, consul: string, p: DtlePluginPorts): string {
  return [
    'plugin "dtle" {',
    '  config {',
    `    nats_bind       = "127.0.0.1:${p.nats}"`,
    `    nats_advertise  = "127.0.0.1:${p.nats}"`,
    `    api_addr        = "127.0.0.1:${p.api}"`,
    `    nomad_addr      = "127.0.0.1:${httpPort}"`,
    `    consul          = "${consul}"`,
    `    data_dir        = "${p.dataDir}"`,
    '    publish_metrics = true',
    '    log_level       = "INFO"',
    '  }',
    '}',
  ].join('\n');
}

/** The agent configuration (HCL). */
export function agentHcl(
  dir: string,
  ports: { http: number; rpc: number; serf: number },
  opts: NomadAgentOptions,
  dtle?: DtlePluginPorts,
): string {
  return [
    `data_dir  = "${path.join(dir, 'data')}"`,
    ...(opts.dtle ? [`plugin_dir = "${path.join(dir, 'plugins')}"`] : []),
    'bind_addr = "127.0.0.1"',
    `log_level = "${opts.logLevel ?? 'INFO'}"`,
    `ports {\n  http = ${ports.http}\n  rpc  = ${ports.rpc}\n  serf = ${ports.serf}\n}`,
    // the cloud fingerprinters probe metadata endpoints off this host, and env_aws makes the agent
    // exit at start when AWS_CA_BUNDLE is set
    'client {\n  options {\n    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"\n  }\n}',
    ...(opts.rawExec ? ['plugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}'] : []),
    ...(opts.acl ? ['acl {\n  enabled = true\n}'] : []),
    ...(opts.dtle && dtle ? [dtlePluginHcl(ports.http, opts.dtle.consul, dtle)] : []),
    ...(opts.extraHcl ? [opts.extraHcl] : []),
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Environment variable naming a folder where agents leave their logs when they stop (for CI). */
export const LOGS_ENV = 'DTLE_COMPAT_E2E_LOGS';

/** Copies an agent's log into $DTLE_COMPAT_E2E_LOGS (named after its folder), if set. */
export function keepLog(dir: string, logFile: string): void {
  const logs = process.env[LOGS_ENV];
  if (!logs || !existsSync(logFile)) return;
  mkdirSync(logs, { recursive: true });
  copyFileSync(logFile, path.join(logs, `${path.basename(dir)}.log`));
}

/** The pids of a process's descendants (Linux /proc; [] elsewhere). */
export function descendants(root: number): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const parent = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      // the command name (2nd field) is in parentheses and may hold spaces: the ppid follows the last ')'
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/**
 * What an agent that could not clean up left in its folder (Linux): processes with a file or
 * working directory under it (a task's logmon, a dtle plugin) are killed, by pid; mounts under it
 * are unmounted, deepest first. Never throws.
 */
export function reap(dir: string): void {
  if (!existsSync('/proc/mounts')) return;
  const under = (p: string) => p === dir || p.startsWith(`${dir}/`);
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x) && Number(x) !== process.pid)) {
    try {
      const links = [`/proc/${pid}/cwd`, ...readdirSync(`/proc/${pid}/fd`).map((fd) => `/proc/${pid}/fd/${fd}`)];
      if (links.some((l) => {
        try {
          return under(readlinkSync(l));
        } catch {
          return false;
        }
      })) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {
      /* gone, or not ours to read */
    }
  }
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\040/g, ' '))
    .filter(under)
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      /* not ours to unmount */
    }
  }
}

/** Deregisters (purges) every job of an agent without ACLs and waits up to 10 s for their allocations to stop. */
async function stopAllJobs(url: string): Promise<void> {
  try {
    const jobs = (await getJson(`${url}/v1/jobs?namespace=*`)) as Array<{ ID: string; Namespace: string }>;
    await Promise.all(
      jobs.map((j) =>
        fetch(`${url}/v1/job/${encodeURIComponent(j.ID)}?purge=true&namespace=${encodeURIComponent(j.Namespace)}`, {
          method: 'DELETE',
          signal: AbortSignal.timeout(5000),
        }),
      ),
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const allocs = (await getJson(`${url}/v1/allocations?namespace=*`)) as Array<{ ClientStatus: string }>;
      if (allocs.every((a) => a.ClientStatus !== 'running' && a.ClientStatus !== 'pending')) break;
      await sleep(250);
    }
    // the client's garbage collection destroys the stopped allocations: their logmon processes,
    // and the secrets/private tmpfs mounts Nomad makes in their folders when it runs as root
    await fetch(`${url}/v1/client/gc`, { method: 'PUT', signal: AbortSignal.timeout(10_000) });
  } catch {
    /* ACLs on, or the agent is going: its own shutdown destroys the allocations */
  }
}

async function getJson(url: string, token?: string): Promise<unknown> {
  const r = await fetch(url, { headers: token ? { 'X-Nomad-Token': token } : {}, signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** A started agent process: its log, how it ended (null while it runs), and its stop. */
export interface AgentProcess {
  proc: ChildProcess;
  log(): string;
  exited(): string | null;
  /**
   * opts.beforeStop, then SIGINT, then SIGKILL after graceMs (default 30000); kills the children it
   * left (a Nomad agent's plugins and logmon processes outlive it when it could not stop them);
   * copies its log to $DTLE_COMPAT_E2E_LOGS when set; unmounts what is left mounted in its folder
   * and removes the folder. Safe to call twice.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `bin args` with its output in <dir>/agent.log and its pid in <dir>/<pidName> (for a caller's trap). */
export function spawnAgent(bin: string, args: string[], dir: string, pidName: string, opts: { beforeStop?: () => Promise<void> } = {}): AgentProcess {
  const logFile = path.join(dir, 'agent.log');
  const fd = openSync(logFile, 'a');
  const proc = spawn(bin, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid !== undefined) writeFileSync(path.join(dir, pidName), `${proc.pid}\n`);
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
  const stop = (graceMs = 30_000): Promise<void> => {
    stopping ??= (async () => {
      if (exited === null) {
        await opts.beforeStop?.();
        const children = proc.pid === undefined ? [] : descendants(proc.pid);
        proc.kill('SIGINT');
        const killer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(killer);
        for (const pid of children) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
      keepLog(dir, logFile);
      reap(dir);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { proc, log, exited: () => exited, stop };
}

/** Starts `nomad agent -dev` on loopback and waits for its leader (and node, when asked). */
export async function startNomadAgent(opts: NomadAgentOptions = {}): Promise<NomadAgent> {
  const bin = opts.bin ?? nomadBinary();
  const parent = opts.parentDir ?? os.tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, 'dtle-compat-nomad-'));
  const ports = { http: await freePort(), rpc: await freePort(), serf: await freePort() };
  let dtle: DtlePluginPorts | undefined;
  if (opts.dtle) {
    dtle = { nats: await freePort(), api: await freePort(), dataDir: path.join(dir, 'dtle') };
    mkdirSync(path.join(dir, 'plugins'));
    mkdirSync(dtle.dataDir);
    // Nomad runs every executable in plugin_dir: the cached build, linked under the driver's name
    symlinkSync(opts.dtle.plugin, path.join(dir, 'plugins', 'dtle'));
  }
  writeFileSync(path.join(dir, 'agent.hcl'), agentHcl(dir, ports, opts, dtle));
  const url = `http://127.0.0.1:${ports.http}`;
  const agent = spawnAgent(bin, ['agent', '-dev', '-bind', '127.0.0.1', '-config', path.join(dir, 'agent.hcl')], dir, 'nomad.pid', {
    // a dev agent destroys its allocations when it stops (their tasks, logmon processes and the
    // secrets/private mounts of their folders): stop the jobs first so that little is left then
    beforeStop: () => stopAllJobs(url),
  });
  const { proc, log, stop } = agent;
  const exitedWith = agent.exited;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const failed = async (what: string): Promise<never> => {
    const text = log().split('\n').slice(-40).join('\n');
    await stop(2000);
    throw new Error(`${what}; the agent's log ends with:\n${text}`);
  };
  for (;;) {
    if (exitedWith() !== null) return failed(`the Nomad agent exited at start (${exitedWith()})`);
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
      if (exitedWith() !== null) return failed(`the Nomad agent exited (${exitedWith()})`);
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
  return { url, ports, ...(dtle ? { dtle } : {}), dir, proc, log, stop };
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
