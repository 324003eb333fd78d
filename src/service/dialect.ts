/**
 * What the dtle plugin of the nodes can do, from the `driver.dtle.version` each node reports
 * (asked of Nomad at most every 30 s, shared by every question): the task config layout to write,
 * and whether legacy pause/resume can use dtle's own mechanism. Each has a setting that wins over
 * `auto`.
 */
import type { Config } from '../config';
import type { NomadClient, Scope } from '../nomad/client';
import { NodeList } from '../nomad/types';
import { dialectForVersion, type Dialect } from '../translate/spec';
import { DTLE_SINCE, versionAtLeast } from '../translate/dtleVersion';

const PROBE_TTL_MS = 30_000;

/** How legacy pause/resume work: dtle's own (the dtleJobList flag and the alloc signals) or stop-and-save. */
export type PauseMechanism = 'dtle' | 'emulate';

export class DialectProbe {
  private cached: { versions: string[]; until: number } | null = null;

  constructor(private readonly deps: { config: Config; nomad: NomadClient }) {}

  /** The dtle versions the nodes report, one per node with the driver. */
  private async versions(scope: Scope): Promise<string[]> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.versions;
    const { data: nodes } = await this.deps.nomad.get('/v1/nodes', NodeList, { scope, op: 'nodes.list' });
    const versions: string[] = [];
    for (const n of nodes) {
      for (const d of this.deps.config.dtle_drivers) {
        const v = n.Drivers?.[d]?.Attributes?.[`driver.${d}.version`];
        if (v) versions.push(v);
      }
    }
    this.cached = { versions, until: Date.now() + PROBE_TTL_MS };
    return versions;
  }

  /** The task config dialect to write: configured, or from the dtle version the nodes report. */
  async dialect(scope: Scope): Promise<Dialect> {
    const configured = this.deps.config.dtle_dialect;
    if (configured !== 'auto') return configured;
    const dialects = (await this.versions(scope)).map(dialectForVersion).filter((d): d is Dialect => d !== null);
    // A mixed cluster gets the per-task layout only if no node understands the newer one.
    return dialects.length === 0 || dialects.includes('src-only') ? 'src-only' : 'per-task';
  }

  /**
   * How legacy pause/resume work: configured, or with `auto` dtle's own mechanism when Consul is
   * configured and every node's plugin has it (4.22.07 and later: a task of an older plugin would
   * ignore the signal), else the stop-and-save emulation.
   */
  async pauseMechanism(scope: Scope, consulEnabled: boolean): Promise<PauseMechanism> {
    const configured = this.deps.config.pause_mechanism;
    if (configured !== 'auto') return configured;
    if (!consulEnabled) return 'emulate';
    const versions = await this.versions(scope);
    return versions.length > 0 && versions.every((v) => versionAtLeast(v, DTLE_SINCE.pauseSignal)) ? 'dtle' : 'emulate';
  }
}
