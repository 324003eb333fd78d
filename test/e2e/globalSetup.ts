import canarySetup from '../support/globalSetup';
import { consulBinary, startConsulAgent, type ConsulAgent } from '../../scripts/consul-agent';
import {
  bootstrapAcl,
  DTLE_PLUGINS_ENV,
  dtlePlugin,
  dtleVersions,
  nomadBinary,
  startNomadAgent,
  type NomadAgent,
} from '../../scripts/nomad-agent';

/** What the test files read (process.env reaches the workers, which start after this). */
export const E2E_ENV = {
  /** the agent with raw_exec, no ACLs */
  nomad: 'DTLE_COMPAT_E2E_NOMAD_ADDR',
  /** the agent with ACLs on, bootstrapped */
  aclNomad: 'DTLE_COMPAT_E2E_ACL_NOMAD_ADDR',
  /** its management token */
  aclToken: 'DTLE_COMPAT_E2E_ACL_TOKEN',
  /** the nomad binary both run */
  bin: 'DTLE_COMPAT_NOMAD_BIN',
  /** the Consul dev agent the dtle plugins use (http://127.0.0.1:<port>) */
  consul: 'DTLE_COMPAT_E2E_CONSUL_ADDR',
  /** JSON list of the agents with the real dtle plugin: DtleAgentInfo[] */
  dtle: 'DTLE_COMPAT_E2E_DTLE',
  /** why the real-dtle part does not run (set only when it was skipped) */
  dtleSkipped: 'DTLE_COMPAT_E2E_DTLE_SKIPPED',
} as const;

/** One Nomad agent with the real dtle plugin of one version. */
export interface DtleAgentInfo {
  version: string;
  /** the agent's HTTP address */
  nomad: string;
  /** the plugin's own HTTP API port on 127.0.0.1 (its /metrics) */
  apiPort: number;
  natsPort: number;
}

declare global {
  // eslint-disable-next-line no-var
  var __dtleCompatAgents: Array<NomadAgent | ConsulAgent> | undefined;
}

/**
 * The dtle plugins to load, by version: from $DTLE_COMPAT_DTLE_PLUGINS (`<version>=<path>,…`,
 * set by scripts/test-nomad.sh), else built or taken from the cache by scripts/dtle.sh.
 * Empty when DTLE_COMPAT_SKIP_DTLE=1.
 */
function dtlePlugins(): Array<{ version: string; plugin: string }> {
  if (process.env.DTLE_COMPAT_SKIP_DTLE === '1') return [];
  const given = process.env[DTLE_PLUGINS_ENV];
  if (given !== undefined && given !== '') {
    return given.split(',').map((entry) => {
      const i = entry.indexOf('=');
      if (i <= 0) throw new Error(`${DTLE_PLUGINS_ENV}: "${entry}" is not <version>=<path>`);
      return { version: entry.slice(0, i), plugin: entry.slice(i + 1) };
    });
  }
  return dtleVersions().map((version) => ({ version, plugin: dtlePlugin(version) }));
}

/**
 * Starts the agents on loopback, each on free ports with a temporary folder: a Nomad agent with
 * raw_exec (the stand-in for a running dtle task), one with ACLs (bootstrapped), and for the
 * real-dtle part a Consul dev agent and one Nomad agent per dtle version with the real plugin.
 * Their folders go under $DTLE_COMPAT_E2E_DIR when scripts/test-nomad.sh set it, so its trap can
 * stop them whatever happens.
 */
export default async function globalSetup(): Promise<void> {
  canarySetup();
  const bin = nomadBinary();
  process.env[E2E_ENV.bin] = bin;
  const plugins = dtlePlugins();
  const consulBin = plugins.length > 0 ? consulBinary() : '';
  const parentDir = process.env.DTLE_COMPAT_E2E_DIR || undefined;
  const started = Date.now();
  const agents: Array<NomadAgent | ConsulAgent> = [];
  globalThis.__dtleCompatAgents = agents;
  const keep = <T extends NomadAgent | ConsulAgent>(p: Promise<T>): Promise<T> =>
    p.then((a) => {
      agents.push(a);
      return a;
    });
  const dtleTier = async (): Promise<{ consul: ConsulAgent; dtle: Array<{ version: string; agent: NomadAgent }> } | null> => {
    if (plugins.length === 0) return null;
    const consul = await keep(startConsulAgent({ bin: consulBin, parentDir }));
    const dtle = await Promise.all(
      plugins.map(async ({ version, plugin }) => ({
        version,
        agent: await keep(startNomadAgent({ bin, parentDir, dtle: { plugin, consul: consul.addr }, waitForDrivers: ['dtle'] })),
      })),
    );
    return { consul, dtle };
  };
  const results = await Promise.allSettled([
    keep(startNomadAgent({ bin, parentDir, rawExec: true, waitForDrivers: ['raw_exec'] })),
    keep(startNomadAgent({ bin, parentDir, acl: true })),
    dtleTier(),
  ]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(agents.map((a) => a.stop()));
    throw failure.reason;
  }
  const [plain, acl, tier] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    NomadAgent,
    NomadAgent,
    Awaited<ReturnType<typeof dtleTier>>,
  ];
  process.env[E2E_ENV.nomad] = plain.url;
  process.env[E2E_ENV.aclNomad] = acl.url;
  process.env[E2E_ENV.aclToken] = await bootstrapAcl(acl.url);
  let dtleLine = '';
  if (tier) {
    process.env[E2E_ENV.consul] = tier.consul.url;
    const info: DtleAgentInfo[] = tier.dtle.map(({ version, agent }) => ({
      version,
      nomad: agent.url,
      apiPort: agent.dtle?.api ?? 0,
      natsPort: agent.dtle?.nats ?? 0,
    }));
    process.env[E2E_ENV.dtle] = JSON.stringify(info);
    dtleLine = `, Consul at ${tier.consul.url}, the dtle driver ${info.map((i) => `${i.version} at ${i.nomad}`).join(' and ')}`;
  } else {
    process.env[E2E_ENV.dtleSkipped] = 'DTLE_COMPAT_SKIP_DTLE=1';
    dtleLine = '; the real-dtle part is SKIPPED (DTLE_COMPAT_SKIP_DTLE=1)';
  }
  process.stdout.write(`\nNomad agents at ${plain.url} (raw_exec) and ${acl.url} (ACLs)${dtleLine}, ready in ${Date.now() - started} ms\n`);
}
