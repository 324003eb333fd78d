/**
 * `dtle-compat --demo`: the service against a simulated Nomad and Consul (the @dtle-compat/sim
 * package, loaded only here, and this module only for --demo) holding sample dtle 2.x jobs as the
 * service itself registers them, replicating in real time, every state in Consul where dtle keeps
 * it: `orders-sync` and `events-to-kafka` start from a Gtid and are incremental at once, their Gtid
 * moving; `billing-migration` starts with a full copy (its progress in Consul's DumpProgress), then
 * goes incremental; `inventory-sync`'s destination refuses connections (its tasks fail and
 * restart, its allocation fails and is rescheduled, as a real dtle driver's would).
 */
import { SimConsul, SimNomad } from '@dtle-compat/sim';
import { legacyToNomadJob } from './translate/job';
import { LegacyJobInput } from './legacy/schema';

/** Sample dtle 2.x jobs for the demo (seed 003's shapes; the passwords are placeholders). */
function sampleJob(name: string, srcHost: string, destHost: string, opts: { kafka?: boolean; gtid?: string } = {}): LegacyJobInput {
  const kafka = opts.kafka === true;
  return LegacyJobInput.parse({
    ID: name,
    Name: name,
    Type: 'synchronous',
    Tasks: [
      {
        Type: 'Src',
        Driver: 'MySQL',
        NodeName: 'nomad0',
        Config: {
          Gtid: opts.gtid ?? '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
          ChunkSize: '2000',
          ReplChanBufferSize: '60',
          ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
          ConnectionConfig: { Host: srcHost, Port: '3306', User: 'repl', Password: 'demo-password' },
        },
      },
      kafka
        ? { Type: 'Dest', Driver: 'Kafka', NodeName: 'nomad0', Config: { Brokers: [KAFKA_BROKER], Topic: name } }
        : {
            Type: 'Dest',
            Driver: 'MySQL',
            NodeName: 'nomad0',
            Config: { ConnectionConfig: { Host: destHost, Port: '3306', User: 'repl', Password: 'demo-password' } },
          },
    ],
  });
}

export interface DemoAgents {
  nomad: SimNomad;
  consul: SimConsul;
  close(): Promise<void>;
}

/** Rows of the demo's full copy and its pace: about 40 s of copying before the job goes incremental. */
const DEMO_REPLICATION = { rows: 160_000, rowsPerSecond: 4000, txPerSecond: 12 };

/** The demo's destination database that is down: nothing listens there. */
const DOWN_DB = '10.0.0.99';
/** The demo's Kafka broker (on loopback, so named: the simulator would dial it for real otherwise). */
const KAFKA_BROKER = '127.0.0.1:9092';

/** Starts a simulated Consul and Nomad on free loopback ports, with a few dtle jobs replicating and one failing. */
export async function startDemoNomad(): Promise<DemoAgents> {
  const consul = new SimConsul();
  await consul.listen(0, '127.0.0.1');
  const sim = new SimNomad({ consul, replication: DEMO_REPLICATION, databases: { [`${DOWN_DB}:3306`]: 'refused', [KAFKA_BROKER]: 'replicates' } });
  await sim.listen(0, '127.0.0.1');
  const jobs = [
    sampleJob('orders-sync', '10.0.0.11', '10.0.0.21'),
    sampleJob('billing-migration', '10.0.0.12', '10.0.0.22', { gtid: '' }),
    sampleJob('events-to-kafka', '10.0.0.13', '', { kafka: true }),
    sampleJob('inventory-sync', '10.0.0.14', DOWN_DB),
  ];
  for (const input of jobs) {
    const { job } = legacyToNomadJob(input, { dialect: 'src-only', driverName: 'dtle', datacenters: ['dc1'] });
    // (a spread: the translator's NomadJobWrite is an interface, the simulator takes any api.Job field)
    sim.registerJob({ ...job });
  }
  // the jobs that start from a Gtid are incremental at their first upload; then every second moves them on
  sim.advanceReplication(1000);
  sim.replicate(1000);
  return {
    nomad: sim,
    consul,
    async close() {
      await sim.close();
      await consul.close();
    },
  };
}
