import canaryTeardown from '../support/globalTeardown';

/** Stops the agents, then fails the run if the canary password reached a response body or log line. */
export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__dtleCompatAgents ?? []).map((a) => a.stop()));
  globalThis.__dtleCompatAgents = [];
  canaryTeardown();
}
