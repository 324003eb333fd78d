/**
 * A real Nomad dev agent for the benchmark (BENCH_NOMAD=real or both): the pinned binary from
 * scripts/nomad.sh, bound to 127.0.0.1 on free ports with a temporary data dir, loaded with dtle
 * jobs registered through Nomad's own API. The agent has no dtle driver, so the jobs stay
 * unplaced (no allocations): the benchmark's allocation route answers an empty list there.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A dtle job as dtle-compat writes it for dtle >= 4.22.11 (all config on the src task). */
function dtleJob(id: string): Record<string, unknown> {
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'src',
        Count: 1,
        Tasks: [
          {
            Name: 'src',
            Driver: 'dtle',
            Config: {
              Gtid: '',
              ChunkSize: 2000,
              ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
              SrcConnectionConfig: { Host: '10.0.0.11', Port: 3306, User: 'repl', Password: 'bench-password' },
              DestConnectionConfig: { Host: '10.0.0.21', Port: 3306, User: 'repl', Password: 'bench-password' },
            },
          },
        ],
      },
      { Name: 'dest', Count: 1, Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { DestType: 'mysql' } }] },
    ],
  };
}

export interface RealNomad {
  url: string;
  proc: ChildProcess;
  stop(): void;
}

export async function startRealNomad(jobs: number): Promise<RealNomad> {
  const bin = execFileSync('bash', [path.join(ROOT, 'scripts', 'nomad.sh'), 'path'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dtle-compat-bench-nomad-'));
  const [http, rpc, serf] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, 'agent.hcl'),
    [
      `data_dir = "${dir}/data"`,
      `ports { http = ${http}\n rpc = ${rpc}\n serf = ${serf} }`,
      // cloud fingerprinters probe the network (and one exits the agent when AWS_CA_BUNDLE is set)
      'client { options { "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean" } }',
      'log_level = "WARN"',
    ].join('\n'),
  );
  const proc = spawn(bin, ['agent', '-dev', '-bind', '127.0.0.1', '-config', path.join(dir, 'agent.hcl')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${http}`;
  const stop = () => {
    proc.kill('SIGINT');
    setTimeout(() => rmSync(dir, { recursive: true, force: true }), 2000).unref();
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const r = await fetch(`${url}/v1/status/leader`);
        if (r.ok && ((await r.json()) as string) !== '') break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error('the Nomad agent elected no leader within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const ids = Array.from({ length: jobs }, (_, i) => `bench-dtle-${String(i + 1).padStart(5, '0')}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const r = await fetch(`${url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: dtleJob(id) }) });
          if (!r.ok) throw new Error(`registering ${id}: ${r.status} ${await r.text()}`);
        }
      }),
    );
    return { url, proc, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
