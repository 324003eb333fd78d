/**
 * `dtle-compat --demo`'s agents (src/demo.ts): sample jobs as the service registers them,
 * replicating (two incremental from their Gtid, one copying first, every state in Consul where dtle
 * keeps it), and one whose destination is down.
 */
import { startDemoNomad, type DemoAgents } from '../src/demo';

interface Stub {
  TaskGroup: string;
  ClientStatus: string;
  TaskStates: Record<string, { State: string; Events: Array<{ Type: string; DisplayMessage: string }> }> | null;
}

let demo: DemoAgents;
beforeAll(async () => {
  demo = await startDemoNomad();
});
afterAll(() => demo.close());

const allocs = async (id: string): Promise<Stub[]> => (await (await fetch(`${demo.nomad.url}/v1/job/${id}/allocations`)).json()) as Stub[];
const events = (a: Stub | undefined) => (a?.TaskStates?.[a.TaskGroup]?.Events ?? []).map((e) => `${e.Type}: ${e.DisplayMessage}`);

it('holds four dtle jobs; the three whose databases answer run, their dest tasks report the stage', async () => {
  const jobs = (await (await fetch(`${demo.nomad.url}/v1/jobs`)).json()) as Array<{ ID: string; Status: string }>;
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
  const kafka = await allocs('events-to-kafka');
  expect(kafka.map((a) => a.ClientStatus)).toEqual(['running', 'running']);
});

it('starts two jobs incremental (their Gtid moving) and one copying, then incremental', () => {
  const { consul, nomad } = demo;
  expect(consul.value('dtle/orders-sync/JobStage')).toBe('job_stage_incr');
  expect(consul.value('dtle/events-to-kafka/JobStage')).toBe('job_stage_incr');
  expect(consul.value('dtle/billing-migration/JobStage')).toBe('job_stage_full');
  expect(consul.value('dtle/billing-migration/DumpProgress')).toBe('[4000,160000]');
  const gtid = consul.value('dtle/orders-sync/Gtid');
  expect(gtid).toMatch(/^8868d98f-af5e-11e8-9aa9-0242ac110002:1-\d+$/);
  nomad.advanceReplication(40_000);
  expect(consul.value('dtle/billing-migration/JobStage')).toBe('job_stage_incr');
  expect(consul.value('dtle/billing-migration/Gtid')).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171');
  expect(consul.value('dtle/orders-sync/Gtid')).not.toBe(gtid);
  // the src task keeps its config, passwords and all, in Consul as dtle 4.23 does
  expect(consul.value('dtle/orders-sync/Config')).toContain('"Password":"demo-password"');
  // the job whose destination is down never got as far as a NATS address
  expect(consul.value('dtle/inventory-sync/NatsAddr')).toBe('waitdst');
  expect(consul.value('dtle/inventory-sync/JobStage')).toBeNull();
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
