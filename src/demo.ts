/**
 * `dtle-compat --demo`: the service against a simulated Nomad (the @dtle-compat/sim package, loaded
 * only here, and this module only for --demo) holding sample dtle 2.x jobs as the service itself
 * registers them: three whose databases answer (they replicate) and one whose destination refuses
 * connections (its tasks fail and restart, its allocation fails and is rescheduled, as a real
 * dtle driver's would).
 */
import { SimNomad } from '@dtle-compat/sim';
import { legacyToNomadJob } from './translate/job';
import { LegacyJobInput } from './legacy/schema';

/** Sample dtle 2.x jobs for the demo (seed 003's shapes; the passwords are placeholders). */
function sampleJob(name: string, srcHost: string, destHost: string, kafka = false): LegacyJobInput {
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
          Gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
          ChunkSize: '2000',
          ReplChanBufferSize: '60',
          ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
          ConnectionConfig: { Host: srcHost, Port: '3306', User: 'repl', Password: 'demo-password' },
        },
      },
      kafka
        ? { Type: 'Dest', Driver: 'Kafka', NodeName: 'nomad0', Config: { Brokers: ['127.0.0.1:9092'], Topic: name } }
        : {
            Type: 'Dest',
            Driver: 'MySQL',
            NodeName: 'nomad0',
            Config: { ConnectionConfig: { Host: destHost, Port: '3306', User: 'repl', Password: 'demo-password' } },
          },
    ],
  });
}

/** The demo's destination database that is down: nothing listens there. */
const DOWN_DB = '10.0.0.99';

/** Starts a simulated Nomad on a free loopback port, with a few dtle jobs running and one failing. */
export async function startDemoNomad(): Promise<SimNomad> {
  const sim = new SimNomad({ databases: { [`${DOWN_DB}:3306`]: 'refused' } });
  await sim.listen(0, '127.0.0.1');
  const jobs = [
    sampleJob('orders-sync', '10.0.0.11', '10.0.0.21'),
    sampleJob('billing-migration', '10.0.0.12', '10.0.0.22'),
    sampleJob('events-to-kafka', '10.0.0.13', '', true),
    sampleJob('inventory-sync', '10.0.0.14', DOWN_DB),
  ];
  for (const input of jobs) {
    const { job } = legacyToNomadJob(input, { dialect: 'src-only', driverName: 'dtle', datacenters: ['dc1'] });
    // (a spread: the translator's NomadJobWrite is an interface, the simulator takes any api.Job field)
    sim.registerJob({ ...job });
  }
  // dtle's applier (the dest task) reports the stages
  sim.setTaskStage('orders-sync', 'dest', 'job_stage_incr');
  return sim;
}
