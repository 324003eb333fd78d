/**
 * The simulator's dtle driver (the sim package) against the real one, answer for answer, straight from
 * Nomad's API on both sides: the node's fingerprint, and the task events and allocation states of
 * a dtle job. Where the simulator drifts from the real driver the test is `it.failing`, naming the
 * field, the simulator's value and the real one: fix the simulator and turn it into `it`.
 *
 * No MySQL can run here (see dtleHelpers.ts). A "running" real job has its MySQL at a listener that
 * accepts connections and never answers, so dtle's tasks wait in the MySQL handshake and stay
 * running; a "failing" one has nothing listening, so its tasks end at `connection refused`.
 */
import { DEFAULT_DTLE_VERSION, SimNomad } from '@dtle-compat/sim';
import { deadEnds, describeEachDtle, nomadAllocs, nomadDtleJob, purge, registerInNomad, silentListener, waitForEvent, type NomadAllocStub } from './dtleHelpers';
import { nomadCall, waitFor } from './helpers';

interface NodeBody {
  ID: string;
  Attributes: Record<string, string>;
  Drivers: Record<string, { Attributes: Record<string, string> | null; Detected: boolean; Healthy: boolean; HealthDescription: string }>;
}

async function firstNode(nomad: string): Promise<NodeBody> {
  const list = (await nomadCall(nomad, 'GET', '/v1/nodes')).json as Array<{ ID: string }>;
  return (await nomadCall(nomad, 'GET', `/v1/node/${list[0]?.ID ?? ''}`)).json as NodeBody;
}

const eventTypes = (a: NomadAllocStub | undefined, task: string) => (a?.TaskStates?.[task]?.Events ?? []).map((e) => e.Type);

describeEachDtle('the simulator against the real dtle driver', (agent) => {
  let sim: SimNomad;
  let simUrl = '';

  beforeAll(async () => {
    sim = new SimNomad({ nodes: [{ name: 'e2e-sim', dtleVersion: agent.version }] });
    simUrl = await sim.listen();
  });
  afterAll(async () => {
    await sim.close();
  });

  describe('the fingerprint', () => {
    it('Drivers.dtle: Detected, Healthy, "Healthy", the same attribute keys, driver.dtle "true" and the version', async () => {
      const [real, fake] = [await firstNode(agent.nomad), await firstNode(simUrl)];
      const pick = (n: NodeBody) => {
        const d = n.Drivers.dtle;
        return { Detected: d?.Detected, Healthy: d?.Healthy, HealthDescription: d?.HealthDescription, keys: Object.keys(d?.Attributes ?? {}).sort(), dtle: d?.Attributes?.['driver.dtle'], version: d?.Attributes?.['driver.dtle.version'] };
      };
      expect(pick(fake)).toEqual(pick(real));
      expect(real.Drivers.dtle?.Attributes?.['driver.dtle.version']).toBe(agent.version);
    });

    it('Drivers.dtle driver.dtle.full_version is <version>-<branch>-<commit> on both (the branch and commit are the build\'s)', async () => {
      const shape = /^\d+\.\d+\.\d+\.\d+-[\w.]+-[0-9a-f]{7,}$/;
      expect((await firstNode(agent.nomad)).Drivers.dtle?.Attributes?.['driver.dtle.full_version']).toMatch(shape);
      expect((await firstNode(simUrl)).Drivers.dtle?.Attributes?.['driver.dtle.full_version']).toMatch(shape);
    });

    // drift: sim/src/nomad/shapes.ts buildNode copies the driver's attributes into the node's as they are
    it.failing('node Attributes["driver.dtle"]: real Nomad writes "1" (the simulator writes the driver\'s own "true")', async () => {
      expect((await firstNode(agent.nomad)).Attributes['driver.dtle']).toBe('1');
      expect((await firstNode(simUrl)).Attributes['driver.dtle']).toBe('1');
    });
  });

  describe('a dtle task that cannot reach its database', () => {
    const ID = `e2e-simdrift-${agent.version.replace(/\./g, '-')}`;
    afterAll(async () => {
      await purge(agent.nomad, ID);
    });

    it('real: Terminated with ExitCode 2 and the error as exit message, then Restarting within the policy; the allocation pending', async () => {
      const ports = await deadEnds();
      await registerInNomad(agent.nomad, nomadDtleJob(ID, ID, agent.version, ports));
      await waitForEvent(agent.nomad, ID, 'src', /^Task restarting in /);
      const src = (await nomadAllocs(agent.nomad, ID)).find((a) => a.TaskGroup === 'src');
      const events = src?.TaskStates?.src?.Events ?? [];
      expect(events.map((e) => e.Type).slice(0, 5)).toEqual(['Received', 'Task Setup', 'Started', 'Terminated', 'Restarting']);
      const terminated = events[3];
      expect(terminated).toMatchObject({
        ExitCode: 2,
        Message: `dial tcp 127.0.0.1:${ports.src}: connect: connection refused`,
        DisplayMessage: `Exit Code: 2, Exit Message: "dial tcp 127.0.0.1:${ports.src}: connect: connection refused"`,
        Details: { exit_code: '2', exit_message: `dial tcp 127.0.0.1:${ports.src}: connect: connection refused`, oom_killed: 'false', signal: '0' },
      });
      expect(events[4]).toMatchObject({ RestartReason: 'Restart within policy', DisplayMessage: expect.stringMatching(/^Task restarting in \d+(\.\d+)?s$/) });
      expect(src?.TaskStates?.src?.State).toBe('pending');
      expect(src?.ClientStatus).toBe('pending');
    });

    // drift: the simulator's dtle tasks always start and keep running; it has no failing task
    // (no Terminated with an exit message, no Restarting, no pending/failed allocation, no reschedule)
    it.failing('the simulator can show the same: a dtle task whose database refuses connections', async () => {
      const job = nomadDtleJob(ID, ID, agent.version, await deadEnds());
      sim.registerJob(job);
      const src = await waitFor('the simulated allocation', async () => (await nomadAllocs(simUrl, ID)).find((a) => a.TaskGroup === 'src'));
      await new Promise((r) => setTimeout(r, 1000));
      const again = (await nomadAllocs(simUrl, ID)).find((a) => a.ID === src.ID);
      expect(eventTypes(again, 'src')).toContain('Terminated');
    });
  });

  describe('a running dtle task (its MySQL accepts and never answers)', () => {
    const ID = `e2e-simrun-${agent.version.replace(/\./g, '-')}`;
    let holes: Array<{ port: number; close(): void }> = [];
    afterAll(async () => {
      await purge(agent.nomad, ID);
      for (const h of holes) h.close();
    });

    it('real and simulated: Received, Task Setup, Started; state running; the real driver sends no job_stage event before data flows', async () => {
      holes = [await silentListener(), await silentListener()];
      await registerInNomad(agent.nomad, nomadDtleJob(ID, ID, agent.version, { src: holes[0]?.port ?? 0, dest: holes[1]?.port ?? 0 }));
      const real = await waitFor('the real src running', async () => {
        const a = (await nomadAllocs(agent.nomad, ID)).find((x) => x.TaskGroup === 'src');
        return a?.TaskStates?.src?.State === 'running' ? a : undefined;
      }, 60_000);
      sim.registerJob(nomadDtleJob(`${ID}-sim`, `${ID}-sim`, agent.version, { src: 1, dest: 2 }));
      const fake = await waitFor('the simulated src running', async () => {
        const a = (await nomadAllocs(simUrl, `${ID}-sim`)).find((x) => x.TaskGroup === 'src');
        return a?.TaskStates?.src?.State === 'running' ? a : undefined;
      });
      expect(eventTypes(real, 'src')).toEqual(['Received', 'Task Setup', 'Started']);
      // the simulator models a replicating task: it adds the driver's job_stage_full event at once
      expect(eventTypes(fake, 'src').filter((t) => t !== 'Driver')).toEqual(['Received', 'Task Setup', 'Started']);
      expect([real.ClientStatus, fake.ClientStatus]).toEqual(['running', 'running']);
    });
  });

  it('the simulator\'s default dtle version is one the tier runs', () => {
    expect(['4.22.07.2', '4.23.04.3']).toContain(DEFAULT_DTLE_VERSION);
  });
});
