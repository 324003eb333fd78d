import canaryTeardown from '../support/globalTeardown';

/**
 * Stops the agents (Nomad's first, then Consul, which the dtle plugins use until they stop), each
 * whatever happens to the others, then fails the run if the canary password reached a response
 * body or log line.
 */
export default async function globalTeardown(): Promise<void> {
  const agents = globalThis.__dtleCompatAgents ?? [];
  globalThis.__dtleCompatAgents = [];
  const isConsul = (a: (typeof agents)[number]) => !('ports' in a && 'rpc' in a.ports);
  const results = [
    ...(await Promise.allSettled(agents.filter((a) => !isConsul(a)).map((a) => a.stop()))),
    ...(await Promise.allSettled(agents.filter(isConsul).map((a) => a.stop()))),
  ];
  canaryTeardown();
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
