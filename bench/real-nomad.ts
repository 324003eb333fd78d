/**
 * A real Nomad dev agent for the benchmark (BENCH_NOMAD=real or both): the pinned binary from
 * scripts/nomad.sh, bound to 127.0.0.1 on free ports with a temporary data dir, loaded with dtle
 * jobs registered through Nomad's own API. The agent has no dtle driver, so the jobs stay
 * unplaced (no allocations): the benchmark's allocation route answers an empty list there.
 */
import type { ChildProcess } from 'node:child_process';
import { startNomadAgent } from '../scripts/nomad-agent';
import { dtleTemplate } from '@dtle-compat/sim';

export interface RealNomad {
  url: string;
  proc: ChildProcess;
  stop(): void;
}

export async function startRealNomad(jobs: number): Promise<RealNomad> {
  // the agent itself is started as the real-Nomad test tier starts it (scripts/nomad-agent.ts)
  const agent = await startNomadAgent({ logLevel: 'WARN' });
  const { url, proc } = agent;
  const stop = () => {
    void agent.stop();
  };
  try {
    const ids = Array.from({ length: jobs }, (_, i) => `bench-dtle-${String(i + 1).padStart(5, '0')}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const r = await fetch(`${url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: dtleTemplate(id, 'dc1') }) });
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
