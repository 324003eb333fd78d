/** `dtle-compat --demo`'s simulated Nomad (src/demo.ts): replicating jobs, and one whose destination is down. */
import { startDemoNomad } from '../src/demo';
import type { SimNomad } from '@dtle-compat/sim';

interface Stub {
  TaskGroup: string;
  ClientStatus: string;
  TaskStates: Record<string, { State: string; Events: Array<{ Type: string; DisplayMessage: string }> }> | null;
}

let sim: SimNomad;
beforeAll(async () => {
  sim = await startDemoNomad();
});
afterAll(() => sim.close());

const allocs = async (id: string): Promise<Stub[]> => (await (await fetch(`${sim.url}/v1/job/${id}/allocations`)).json()) as Stub[];
const events = (a: Stub | undefined) => (a?.TaskStates?.[a.TaskGroup]?.Events ?? []).map((e) => `${e.Type}: ${e.DisplayMessage}`);

it('holds four dtle jobs; the three whose databases answer run, their dest tasks report the stage', async () => {
  const jobs = (await (await fetch(`${sim.url}/v1/jobs`)).json()) as Array<{ ID: string; Status: string }>;
  expect(jobs.map((j) => [j.ID, j.Status])).toEqual([
    ['billing-migration', 'running'],
    ['events-to-kafka', 'running'],
    ['inventory-sync', 'running'],
    ['orders-sync', 'running'],
  ]);
  const orders = await allocs('orders-sync');
  expect(orders.map((a) => a.ClientStatus)).toEqual(['running', 'running']);
  expect(events(orders.find((a) => a.TaskGroup === 'dest')).slice(-2)).toEqual(['Driver: job_stage_full', 'Driver: job_stage_incr']);
  expect(events(orders.find((a) => a.TaskGroup === 'src'))).toEqual(['Received: Task received by client', 'Task Setup: Building Task Directory', 'Started: Task started by client']);
});

it('inventory-sync\'s destination refuses connections: its dest task ends with the dial error and restarts', async () => {
  let dest: Stub | undefined;
  for (let i = 0; i < 100 && !events(dest).some((e) => e.startsWith('Restarting: ')); i++) {
    await new Promise((r) => setTimeout(r, 20));
    dest = (await allocs('inventory-sync')).find((a) => a.TaskGroup === 'dest');
  }
  expect(events(dest).slice(2, 5)).toEqual([
    'Started: Task started by client',
    'Terminated: Exit Code: 2, Exit Message: "dial tcp 10.0.0.99:3306: connect: connection refused"',
    expect.stringMatching(/^Restarting: Task restarting in 1[5-8](\.\d+)?s$/),
  ]);
  expect(dest?.ClientStatus).toBe('pending');
});
