/**
 * The simulator's dtle driver (the sim package) against the real one, answer for answer, straight from
 * Nomad's API on both sides: the node's fingerprint, the task events and allocation states of a
 * dtle job, the client's allocation statistics and the alloc signal. Each job runs on both with
 * the same config and the same loopback ports: the simulator dials them for real (sim/src/nomad/
 * databases.ts), so it meets what the real driver meets. Where the simulator drifts from the real
 * driver the test is `it.failing`, naming the field, the simulator's value and the real one.
 *
 * No MySQL can run here (see dtleHelpers.ts). A "running" real job has its MySQL at a listener that
 * accepts connections and never answers, so dtle's tasks wait in the MySQL handshake and stay
 * running; a "failing" one has nothing listening, so its tasks end at `connection refused`. What
 * takes the real driver minutes (three runs, the failed allocation and its replacement) is checked
 * against its capture in sim/test/nomad/lifecycle.test.ts.
 */
import { DEFAULT_DTLE_VERSION, SimNomad } from '@dtle-compat/sim';
import { deadEnds, describeEachDtle, nomadAllocs, nomadDtleJob, purge, registerInNomad, silentListener, waitForEvent, type NomadAllocStub } from './dtleHelpers';
import { goDuration } from '../../src/nomad/go';
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

/** The simulator's restart and reschedule delays: a twentieth of Nomad's (a 15 s restart delay takes 0.75 s). */
const TIME_SCALE = 0.05;

describeEachDtle('the simulator against the real dtle driver', (agent) => {
  let sim: SimNomad;
  let simUrl = '';

  beforeAll(async () => {
    sim = new SimNomad({ nodes: [{ name: 'e2e-sim', dtleVersion: agent.version }], timeScale: TIME_SCALE });
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

    it('Drivers.dtle driver.dtle.full_version: <version>-HEAD-<the tag\'s release commit>, as the tier builds dtle', async () => {
      const real = (await firstNode(agent.nomad)).Drivers.dtle?.Attributes?.['driver.dtle.full_version'];
      expect(real).toMatch(/^\d+\.\d+\.\d+\.\d+-HEAD-[0-9a-f]{7}$/);
      expect((await firstNode(simUrl)).Drivers.dtle?.Attributes?.['driver.dtle.full_version']).toBe(real);
    });

    it('node Attributes: Nomad writes "1" for a detected driver (driver.dtle, driver.raw_exec), the drivers\' own attributes as they are', async () => {
      const pick = (n: NodeBody) => ({
        attrs: Object.fromEntries(Object.entries(n.Attributes).filter(([k]) => k.startsWith('driver.dtle') || k === 'driver.raw_exec')),
        rawExec: n.Drivers.raw_exec?.Attributes,
      });
      const [real, fake] = [pick(await firstNode(agent.nomad)), pick(await firstNode(simUrl))];
      expect(real.attrs['driver.dtle']).toBe('1');
      expect(fake).toEqual(real);
    });
  });

  describe('a dtle task that cannot reach its database', () => {
    const ID = `e2e-simdrift-${agent.version.replace(/\./g, '-')}`;
    let ports: { src: number; dest: number };
    let real: NomadAllocStub | undefined;
    afterAll(async () => {
      await purge(agent.nomad, ID);
    });

    it('real: Terminated with ExitCode 2 and the error as exit message, then Restarting within the policy; the allocation pending', async () => {
      ports = await deadEnds();
      await registerInNomad(agent.nomad, nomadDtleJob(ID, ID, agent.version, ports));
      await waitForEvent(agent.nomad, ID, 'src', /^Task restarting in /);
      real = (await nomadAllocs(agent.nomad, ID)).find((a) => a.TaskGroup === 'src');
      const events = real?.TaskStates?.src?.Events ?? [];
      expect(events.map((e) => e.Type).slice(0, 5)).toEqual(['Received', 'Task Setup', 'Started', 'Terminated', 'Restarting']);
      const terminated = events[3];
      expect(terminated).toMatchObject({
        ExitCode: 2,
        Message: `dial tcp 127.0.0.1:${ports.src}: connect: connection refused`,
        DisplayMessage: `Exit Code: 2, Exit Message: "dial tcp 127.0.0.1:${ports.src}: connect: connection refused"`,
        Details: { exit_code: '2', exit_message: `dial tcp 127.0.0.1:${ports.src}: connect: connection refused`, oom_killed: 'false', signal: '0' },
      });
      expect(events[4]).toMatchObject({ RestartReason: 'Restart within policy', DisplayMessage: expect.stringMatching(/^Task restarting in \d+(\.\d+)?s$/) });
      expect(real?.TaskStates?.src?.State).toBe('pending');
      expect(real?.ClientStatus).toBe('pending');
    });

    it('the simulator shows the same for the same job (its dial of the same ports refused): events, their fields, task and allocation pending', async () => {
      sim.registerJob(nomadDtleJob(ID, ID, agent.version, ports));
      const fake = await waitFor('the simulated src between two runs', async () => {
        const a = (await nomadAllocs(simUrl, ID)).find((x) => x.TaskGroup === 'src');
        return a?.TaskStates?.src?.State === 'pending' ? a : undefined;
      });
      const shape = (a: NomadAllocStub | undefined) => {
        const events = (a?.TaskStates?.src?.Events ?? []).slice(0, 5);
        return {
          types: events.map((e) => e.Type),
          keys: events.map((e) => Object.keys(e).sort()),
          details: events.map((e) => (e.Details === null ? null : Object.keys(e.Details).sort())),
          terminated: events.filter((e) => e.Type === 'Terminated').map((e) => [e.ExitCode, e.Message, e.DisplayMessage]),
          restarting: events.filter((e) => e.Type === 'Restarting').map((e) => [e.RestartReason, e.DisplayMessage === `Task restarting in ${goDuration(e.StartDelay)}`]),
          state: [a?.TaskStates?.src?.State, a?.TaskStates?.src?.Restarts, a?.ClientStatus, a?.ClientDescription],
          stateKeys: Object.keys(a?.TaskStates?.src ?? {}).sort(),
        };
      };
      expect(shape(fake)).toEqual(shape(real));
      // the delay: the policy's 15 s and Nomad's jitter of up to 25 %, at the simulator's timeScale
      const delays = (x: NomadAllocStub | undefined, scale: number) => (x?.TaskStates?.src?.Events ?? []).filter((e) => e.Type === 'Restarting').map((e) => e.StartDelay / scale);
      for (const d of [...delays(real, 1), ...delays(fake, TIME_SCALE)]) {
        expect(d).toBeGreaterThanOrEqual(15e9 - 1);
        expect(d).toBeLessThan(18.75e9 + 1);
      }
    });
  });

  describe('a job Name over 64 bytes (registered straight in Nomad)', () => {
    const ID = `e2e-simlong-${agent.version.replace(/\./g, '-')}`;
    const NAME = `${ID}-${'n'.repeat(64)}`;
    afterAll(async () => {
      await purge(agent.nomad, ID, NAME);
    });

    it('real and simulated: Received, Task Setup, Driver Failure "rpc error: … job name too long. jobName <n> lenLimit 64", Not Restarting "Error was unrecoverable"; task dead, failed', async () => {
      const ports = await deadEnds();
      await registerInNomad(agent.nomad, nomadDtleJob(ID, NAME, agent.version, ports));
      const failedOf = (url: string) => async () => {
        const a = (await nomadAllocs(url, ID)).find((x) => x.TaskGroup === 'src');
        return a?.ClientStatus === 'failed' ? a : undefined;
      };
      const real = await waitFor('the real src failed', failedOf(agent.nomad), 60_000);
      sim.registerJob(nomadDtleJob(ID, NAME, agent.version, ports));
      const fake = await waitFor('the simulated src failed', failedOf(simUrl));
      const view = async (url: string, a: NomadAllocStub) => {
        // the deployment watcher marks the failed allocation for rescheduling a moment later
        const full = await waitFor('the failed allocation marked for rescheduling', async () => {
          const x = (await nomadCall(url, 'GET', `/v1/allocation/${a.ID}`)).json as { DeploymentStatus?: { Healthy: boolean; Timestamp: string | null }; DesiredTransition?: { Reschedule: boolean | null } };
          return x.DesiredTransition?.Reschedule ? { DeploymentStatus: x.DeploymentStatus, DesiredTransition: x.DesiredTransition } : undefined;
        });
        const events = (a.TaskStates?.src?.Events ?? []).map((e) => [e.Type, e.DisplayMessage, e.DriverError, e.RestartReason, e.Details]);
        return {
          events: events.slice(0, 4),
          // Nomad races its health watcher (Alloc Unhealthy, a time) with the end of the allocation
          // runner (unhealthy, no time, no event): the real allocation shows either; the simulator the watcher's
          watcher: { event: events[4] ?? null, timed: typeof full.DeploymentStatus?.Timestamp === 'string' },
          state: [a.TaskStates?.src?.State, a.TaskStates?.src?.Failed, a.ClientStatus, a.ClientDescription],
          health: [full.DeploymentStatus?.Healthy, full.DesiredTransition.Reschedule],
        };
      };
      const text = `rpc error: code = Unknown desc = job name too long. jobName ${NAME} lenLimit 64`;
      const theirs = await view(agent.nomad, real);
      expect(theirs.events).toEqual([
        ['Received', 'Task received by client', '', '', {}],
        ['Task Setup', 'Building Task Directory', '', '', { message: 'Building Task Directory' }],
        ['Driver Failure', text, text, '', { driver_error: text }],
        ['Not Restarting', 'Error was unrecoverable', '', 'Error was unrecoverable', { restart_reason: 'Error was unrecoverable', fails_task: 'true' }],
      ]);
      const unhealthy = ['Alloc Unhealthy', 'Unhealthy because of failed task', '', '', { message: 'Unhealthy because of failed task' }];
      expect([null, unhealthy]).toContainEqual(theirs.watcher.event);
      const mine = await view(simUrl, fake);
      expect(mine).toEqual({ ...theirs, watcher: { event: unhealthy, timed: true } });
    });
  });

  describe('a running dtle task (its MySQL accepts and never answers)', () => {
    const ID = `e2e-simrun-${agent.version.replace(/\./g, '-')}`;
    let holes: Array<{ port: number; close(): void }> = [];
    let real: NomadAllocStub;
    let fake: NomadAllocStub;
    afterAll(async () => {
      await purge(agent.nomad, ID);
      for (const h of holes) h.close();
    });
    const runningSrc = (url: string) => async () => {
      const a = (await nomadAllocs(url, ID)).find((x) => x.TaskGroup === 'src');
      return a?.TaskStates?.src?.State === 'running' ? a : undefined;
    };

    it('real and simulated: Received, Task Setup, Started; state running; no job_stage event before data flows', async () => {
      holes = [await silentListener(), await silentListener()];
      const job = nomadDtleJob(ID, ID, agent.version, { src: holes[0]?.port ?? 0, dest: holes[1]?.port ?? 0 });
      await registerInNomad(agent.nomad, job);
      real = await waitFor('the real src running', runningSrc(agent.nomad), 60_000);
      sim.registerJob(job);
      fake = await waitFor('the simulated src running', runningSrc(simUrl));
      expect(eventTypes(real, 'src')).toEqual(['Received', 'Task Setup', 'Started']);
      expect(eventTypes(fake, 'src')).toEqual(eventTypes(real, 'src'));
      expect([real.ClientStatus, fake.ClientStatus]).toEqual(['running', 'running']);
    });

    it('GET /v1/client/allocation/{ID}/stats: the same text but the timestamps (all zero, Measured ["RSS"] and [], DeviceStats, Pids {})', async () => {
      const text = async (url: string, id: string) => {
        const r = await nomadCall(url, 'GET', `/v1/client/allocation/${id}/stats`);
        return [r.status, r.headers.get('content-type'), r.text.replace(/\d{19}/g, '<ns>')];
      };
      const mine = await text(simUrl, fake.ID);
      expect(mine).toEqual(await text(agent.nomad, real.ID));
      expect(mine[2]).toContain('"Measured":["RSS"]');
    });

    it('the alloc signal stats: 500, "rpc error: code = Unknown desc = " and the same TaskStatistics but the Timestamp; then Signaling and the driver\'s event', async () => {
      const signal = async (url: string, id: string) => {
        const r = await nomadCall(url, 'POST', `/v1/client/allocation/${id}/signal`, { Task: 'src', Signal: 'stats' });
        return [r.status, r.headers.get('content-type'), r.text.replace(/"Timestamp":\d{19}/, '"Timestamp":<ns>')];
      };
      const mine = await signal(simUrl, fake.ID);
      expect(mine).toEqual(await signal(agent.nomad, real.ID));
      const tail = async (url: string) => {
        const text = await waitForEvent(url, ID, 'src', /^Task receive signal stats$/);
        const a = (await nomadAllocs(url, ID)).find((x) => x.TaskGroup === 'src');
        return { text, last: (a?.TaskStates?.src?.Events ?? []).slice(-2).map((e) => [e.Type, e.DisplayMessage, e.Details, e.DriverMessage]) };
      };
      expect(await tail(simUrl)).toEqual(await tail(agent.nomad));
    });

    it('the alloc signal answers the same: without Task (every task), an unknown task, pause and resume, an unknown allocation', async () => {
      const calls: Array<[string, unknown]> = [
        ['x', { Signal: 'stats' }],
        ['x', { Task: 'nope', Signal: 'stats' }],
        ['x', { Task: 'src', Signal: 'pause' }],
        ['x', { Task: 'src', Signal: 'resume' }],
        ['00000000-0000-4000-8000-000000000000', { Task: 'src', Signal: 'stats' }],
      ];
      for (const [which, body] of calls) {
        const one = async (url: string, id: string) => {
          const r = await nomadCall(url, 'POST', `/v1/client/allocation/${which === 'x' ? id : which}/signal`, body);
          return [r.status, r.text.replace(/"Timestamp":\d{19}/, '"Timestamp":<ns>')];
        };
        expect([body, await one(simUrl, fake.ID)]).toEqual([body, await one(agent.nomad, real.ID)]);
      }
      const states = async (url: string) => (await nomadAllocs(url, ID)).find((x) => x.TaskGroup === 'src')?.TaskStates?.src?.State;
      expect([await states(simUrl), await states(agent.nomad)]).toEqual(['running', 'running']);
    });
  });

  it('the simulator\'s default dtle version is one the tier runs', () => {
    expect(['4.22.07.2', '4.23.04.3']).toContain(DEFAULT_DTLE_VERSION);
  });
});
