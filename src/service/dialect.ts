/**
 * Which task config layout to write: the configured dialect, or, with `auto`, the one the dtle
 * version of the nodes understands (asked of Nomad at most every 30 s).
 */
import type { Config } from '../config';
import type { NomadClient, Scope } from '../nomad/client';
import { NodeList } from '../nomad/types';
import { dialectForVersion, type Dialect } from '../translate/spec';

const PROBE_TTL_MS = 30_000;

export class DialectProbe {
  private cached: { value: Dialect; until: number } | null = null;

  constructor(private readonly deps: { config: Config; nomad: NomadClient }) {}

  /** The task config dialect to write: configured, or from the dtle version the nodes report. */
  async dialect(scope: Scope): Promise<Dialect> {
    const configured = this.deps.config.dtle_dialect;
    if (configured !== 'auto') return configured;
    if (this.cached && this.cached.until > Date.now()) return this.cached.value;
    const { data: nodes } = await this.deps.nomad.get('/v1/nodes', NodeList, { scope, op: 'nodes.list' });
    const versions: Dialect[] = [];
    for (const n of nodes) {
      for (const d of this.deps.config.dtle_drivers) {
        const v = n.Drivers?.[d]?.Attributes?.[`driver.${d}.version`];
        const dialect = v ? dialectForVersion(v) : null;
        if (dialect) versions.push(dialect);
      }
    }
    // A mixed cluster gets the per-task layout only if no node understands the newer one.
    const value: Dialect = versions.length === 0 || versions.includes('src-only') ? 'src-only' : 'per-task';
    this.cached = { value, until: Date.now() + PROBE_TTL_MS };
    return value;
  }
}
