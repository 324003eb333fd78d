import canarySetup from '../support/globalSetup';
import { bootstrapAcl, nomadBinary, startNomadAgent, type NomadAgent } from '../../scripts/nomad-agent';

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
} as const;

declare global {
  // eslint-disable-next-line no-var
  var __dtleCompatAgents: NomadAgent[] | undefined;
}

/**
 * Starts two Nomad dev agents on loopback: one with raw_exec (the stand-in for the dtle driver,
 * which cannot be built here) and one with ACLs, bootstrapped. Their folders go under
 * $DTLE_COMPAT_E2E_DIR when scripts/test-nomad.sh set it, so its trap can stop them whatever happens.
 */
export default async function globalSetup(): Promise<void> {
  canarySetup();
  const bin = nomadBinary();
  process.env[E2E_ENV.bin] = bin;
  const parentDir = process.env.DTLE_COMPAT_E2E_DIR || undefined;
  const started = Date.now();
  const results = await Promise.allSettled([
    startNomadAgent({ bin, parentDir, rawExec: true, waitForDrivers: ['raw_exec'] }),
    startNomadAgent({ bin, parentDir, acl: true }),
  ]);
  const agents = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  globalThis.__dtleCompatAgents = agents;
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(agents.map((a) => a.stop()));
    throw failure.reason;
  }
  const [plain, acl] = agents as [NomadAgent, NomadAgent];
  process.env[E2E_ENV.nomad] = plain.url;
  process.env[E2E_ENV.aclNomad] = acl.url;
  process.env[E2E_ENV.aclToken] = await bootstrapAcl(acl.url);
  process.stdout.write(`\nNomad agents at ${plain.url} (raw_exec) and ${acl.url} (ACLs), ready in ${Date.now() - started} ms\n`);
}
