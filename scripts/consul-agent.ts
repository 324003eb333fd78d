/**
 * A real Consul 1.x dev agent for the real-dtle test tier: the pinned binary from
 * scripts/consul.sh, `consul agent -dev` bound to 127.0.0.1 with http, serf (lan and wan) and
 * server RPC on free ports, DNS and gRPC off, and a temporary data dir. The dtle plugin keeps each
 * job's state in its KV store. Only node built-ins (like nomad-agent.ts).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, repoRoot, spawnAgent } from './nomad-agent';

/** Environment variable naming a consul binary to use instead of asking scripts/consul.sh. */
export const CONSUL_BIN_ENV = 'DTLE_COMPAT_CONSUL_BIN';

/** The pinned consul binary: $DTLE_COMPAT_CONSUL_BIN, else `scripts/consul.sh path` (which may build it). */
export function consulBinary(): string {
  const given = process.env[CONSUL_BIN_ENV];
  if (given) return given;
  return execFileSync('bash', [path.join(repoRoot(), 'scripts', 'consul.sh'), 'path'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface ConsulPorts {
  http: number;
  serfLan: number;
  serfWan: number;
  server: number;
}

export interface ConsulAgentOptions {
  /** the consul binary (default consulBinary()) */
  bin?: string;
  /** folder in which the agent's temporary folder is made (default os.tmpdir()) */
  parentDir?: string;
  /** how long to wait for a leader, ms (default 60000) */
  timeoutMs?: number;
}

export interface ConsulAgent {
  /** http://127.0.0.1:<http port> */
  url: string;
  /** 127.0.0.1:<http port>, the form dtle's `consul` setting takes */
  addr: string;
  ports: ConsulPorts;
  /** the temporary folder: agent.hcl, agent.log, consul.pid, data/ */
  dir: string;
  proc: ChildProcess;
  log(): string;
  /** As AgentProcess.stop. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** The agent configuration (HCL): loopback only, no DNS, no gRPC, no UI, no update check. */
export function consulHcl(dir: string, p: ConsulPorts): string {
  return [
    `data_dir             = "${path.join(dir, 'data')}"`,
    'bind_addr            = "127.0.0.1"',
    'client_addr          = "127.0.0.1"',
    'advertise_addr       = "127.0.0.1"',
    'disable_update_check = true',
    'log_level            = "INFO"',
    'ui_config {\n  enabled = false\n}',
    `ports {\n  http     = ${p.http}\n  https    = -1\n  dns      = -1\n  grpc     = -1\n  grpc_tls = -1\n  serf_lan = ${p.serfLan}\n  serf_wan = ${p.serfWan}\n  server   = ${p.server}\n}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts `consul agent -dev` on loopback and waits until it has a leader and takes a KV write. */
export async function startConsulAgent(opts: ConsulAgentOptions = {}): Promise<ConsulAgent> {
  const bin = opts.bin ?? consulBinary();
  const parent = opts.parentDir ?? os.tmpdir();
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, 'dtle-compat-consul-'));
  const ports: ConsulPorts = { http: await freePort(), serfLan: await freePort(), serfWan: await freePort(), server: await freePort() };
  writeFileSync(path.join(dir, 'agent.hcl'), consulHcl(dir, ports));
  const { proc, log, stop, exited } = spawnAgent(bin, ['agent', '-dev', '-config-file', path.join(dir, 'agent.hcl')], dir, 'consul.pid');
  const url = `http://127.0.0.1:${ports.http}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited() !== null) {
      const text = log().split('\n').slice(-40).join('\n');
      await stop(2000);
      throw new Error(`the Consul agent exited at start (${exited()}); its log ends with:\n${text}`);
    }
    try {
      const leader = await fetch(`${url}/v1/status/leader`, { signal: AbortSignal.timeout(2000) });
      if (leader.ok && ((await leader.json()) as unknown) !== '') {
        const put = await fetch(`${url}/v1/kv/dtle-compat-e2e/ready`, { method: 'PUT', body: 'ok', signal: AbortSignal.timeout(2000) });
        if (put.ok) {
          await fetch(`${url}/v1/kv/dtle-compat-e2e/ready`, { method: 'DELETE', signal: AbortSignal.timeout(2000) });
          break;
        }
      }
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      const text = log().split('\n').slice(-40).join('\n');
      await stop(2000);
      throw new Error(`the Consul agent elected no leader in time; its log ends with:\n${text}`);
    }
    await sleep(200);
  }
  return { url, addr: `127.0.0.1:${ports.http}`, ports, dir, proc, log, stop };
}
