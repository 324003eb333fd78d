import net from 'node:net';
import { splitHostPort, type Config } from './config';
import { createLogger } from './logging';
import { Metrics } from './metrics';
import { NomadClient } from './nomad/client';
import { ConsulClient, consulBaseUrl } from './consul/client';
import { NodeList, StringValue } from './nomad/types';
import { createServices } from './service';
import { probeEventStream } from './service/replica/stream';

/** Can the service listen on api_addr? Tries it (and lets go at once); when it is taken, asks whether a dtle-compat holds it. */
export async function checkListen(apiAddr: string): Promise<{ ok: boolean; text: string }> {
  const { host, port } = splitHostPort(apiAddr);
  if (port === 0) return { ok: true, text: `${apiAddr} (any free port)` };
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    srv.listen(port, host, () => srv.close(() => resolve(null)));
  });
  if (error === null) return { ok: true, text: `${apiAddr} free` };
  if (error.code !== 'EADDRINUSE') return { ok: false, text: `FAILED: cannot listen on ${apiAddr}: ${error.code ?? error.message}` };
  const probeHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  try {
    const res = await fetch(`http://${probeHost}:${port}/-/healthy`, { signal: AbortSignal.timeout(2000) });
    if (res.status === 200 && (await res.text()) === 'OK\n') return { ok: true, text: `${apiAddr} in use by a running dtle-compat` };
  } catch {
    // not an HTTP server that answers: someone else's
  }
  return {
    ok: false,
    text: `FAILED: ${apiAddr} is in use by another program (the dtle plugin's own api_addr? move it: docs/operations.md)`,
  };
}

/**
 * Consul, as --check reports it: its leader and the dtle job entries the token may read. Consul
 * down is a warning, not a failure: the service answers everything Nomad holds without it (docs/api.md).
 */
const WITHOUT_CONSUL = "warning: without Consul, statistics and pause lack dtle's own state (the service still answers what Nomad holds)";

export async function checkConsul(config: Config): Promise<string[]> {
  if (consulBaseUrl(config) === null) return ['consul: off (no address): replication state (Gtid, binlog position, stage, progress, dtle\'s pause) is not read'];
  let consul: ConsulClient;
  try {
    consul = new ConsulClient(config);
  } catch (e) {
    return [`consul: FAILED: ${(e as Error).message}`, WITHOUT_CONSUL];
  }
  try {
    const leader = await consul.leader();
    const { entries } = await consul.kvList('dtleJobList/', 'consul.kv.joblist');
    return [`consul: ${consul.baseURL} leader ${leader || '(none)'}, token ${config.consul_token ? 'set' : 'not set'}, dtleJobList entries: ${entries.length}`];
  } catch (e) {
    return [`consul: FAILED: ${(e as Error).message}`, WITHOUT_CONSUL];
  } finally {
    consul.close();
  }
}

/**
 * `dtle-compat --check`: validates the config (already done by loading it), checks that api_addr
 * can be listened on, reaches Nomad with the configured token and reports the leader, the nodes that
 * run the dtle driver and the number of dtle jobs, then Consul. Returns true when the service could
 * start and Nomad answered everything (Consul's failure is a warning).
 */
export async function runCheck(config: Config, print: (line: string) => void): Promise<boolean> {
  print(`config: ok (api_addr ${config.api_addr}, nomad_addr ${config.nomad_addr}, token ${config.nomad_token ? 'set' : 'not set'}, consul ${config.consul || 'off'})`);
  const listen = await checkListen(config.api_addr);
  print(`listen: ${listen.text}`);
  let nomad: NomadClient;
  try {
    nomad = new NomadClient(config);
  } catch (e) {
    print(`nomad client: FAILED: ${(e as Error).message}`);
    print('check: FAILED');
    return false;
  }
  let ok = listen.ok;
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
  // not fatal: without the stream the replica leaves every read to Nomad. A subscription Nomad
  // accepts sends its first line at once; one it refuses sends none (Nomad 1.11)
  const stream = await probeEventStream(nomad, Math.min(config.nomad_timeout_ms, 3000));
  const replica = config.replica ? (stream.ok ? 'replica on' : 'replica on, but reads go to Nomad without it') : 'replica off';
  print(`event stream: ${stream.text} (${replica})`);
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
    const { jobReads } = createServices({ config: { ...config, replica: false }, nomad, consul: null, logger: createLogger({ silent: true }), metrics: new Metrics() });
    const { jobs: list } = await jobReads.list({});
    print(`dtle jobs: ${list.length}`);
  } catch (e) {
    print(`dtle jobs: FAILED: ${(e as Error).message}`);
    ok = false;
  }
  nomad.close();
  for (const line of await checkConsul(config)) print(line);
  print(ok ? 'check: ok' : 'check: FAILED');
  return ok;
}
