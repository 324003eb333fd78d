import type { Config } from './config';
import { createLogger } from './logging';
import { Metrics } from './metrics';
import { NomadClient } from './nomad/client';
import { NodeList, StringValue } from './nomad/types';
import { JobService } from './service/jobs';

/**
 * `dtle-compat --check`: validates the config (already done by loading it), reaches Nomad with
 * the configured token and reports the leader, the nodes that run the dtle driver and the
 * number of dtle jobs. Returns true when Nomad answered everything.
 */
export async function runCheck(config: Config, print: (line: string) => void): Promise<boolean> {
  print(`config: ok (api_addr ${config.api_addr}, nomad_addr ${config.nomad_addr}, token ${config.nomad_token ? 'set' : 'not set'})`);
  let nomad: NomadClient;
  try {
    nomad = new NomadClient(config);
  } catch (e) {
    print(`nomad client: ${(e as Error).message}`);
    return false;
  }
  let ok = true;
  try {
    const { data: leader } = await nomad.get('/v1/status/leader', StringValue);
    print(`leader: ${leader || '(none)'}`);
    if (!leader) ok = false;
  } catch (e) {
    print(`leader: FAILED: ${(e as Error).message}`);
    nomad.close();
    print('check: FAILED');
    return false;
  }
  try {
    const { data: nodes } = await nomad.get('/v1/nodes', NodeList);
    const dtle = nodes.filter((n) => config.dtle_drivers.some((d) => n.Drivers?.[d]?.Detected));
    print(`nodes: ${nodes.length}, with the dtle driver: ${dtle.length}`);
    for (const n of dtle) {
      const d = config.dtle_drivers.find((x) => n.Drivers?.[x]?.Detected) ?? 'dtle';
      const version = n.Drivers?.[d]?.Attributes?.[`driver.${d}.version`] ?? '?';
      print(`  ${n.Name} ${n.ID} ${n.Status} dtle ${version}${n.Drivers?.[d]?.Healthy ? '' : ' (unhealthy)'}`);
    }
    // not fatal (nodes may join later), but jobs registered now would stay pending
    if (dtle.length === 0) print(`warning: no node reports the ${config.dtle_drivers.join('/')} driver: dtle jobs cannot be placed`);
  } catch (e) {
    print(`nodes: FAILED: ${(e as Error).message}`);
    ok = false;
  }
  try {
    const jobs = new JobService({ config, nomad, logger: createLogger({ silent: true }), metrics: new Metrics() });
    const { jobs: list } = await jobs.list({});
    print(`dtle jobs: ${list.length}`);
  } catch (e) {
    print(`dtle jobs: FAILED: ${(e as Error).message}`);
    ok = false;
  }
  nomad.close();
  print(ok ? 'check: ok' : 'check: FAILED');
  return ok;
}
