/**
 * dtle-compat against the real dtle driver (built from dtle's own source by scripts/dtle.sh), one
 * Nomad agent per dtle version, with the Consul dev agent the driver keeps its state in.
 *
 * No MySQL can run here (Debian ships only MariaDB, which dtle rejects: it reads @@GTID_MODE), so
 * the tasks never replicate. The jobs' MySQL (and Kafka) addresses are loopback ports with
 * nothing listening: each task gets past the driver's config decoding and verification and its
 * Consul reads and writes, then ends at `dial tcp 127.0.0.1:<port>: connect: connection refused`,
 * and Nomad restarts it. Everything up to that point is the real driver's.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import request from 'supertest';
import type { LegacyAllocation, LegacyAllocListStub, LegacyJob, LegacyNode, LegacyNodeListStub } from '../../src/legacy/types';
import { legacyFixture, sortedKeys, typesOf } from '../support/runtimeFixtures';
import {
  CONFIG_REFUSALS,
  consulAddr,
  consulKeys,
  consulKv,
  consulValue,
  deadEnds,
  describeEachDtle,
  dialectOf,
  eventTexts,
  nomadAllocs,
  purge,
  realLegacyJob,
  silentListener,
  waitForEvent,
  type DeadEnds,
} from './dtleHelpers';
import { findChromium } from '../support/chromium';
import { CANARY, nomadCall, record, startCompat, waitFor, type Compat } from './helpers';

const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output');
const refused = (port: number) => new RegExp(`dial tcp 127\\.0\\.0\\.1:${port}: connect: connection refused`);


interface NomadJobBody {
  ID: string;
  Name: string;
  TaskGroups: Array<{ Name: string; Tasks: Array<{ Name: string; Driver: string; Config: Record<string, unknown> }> }>;
}

describeEachDtle('the real dtle driver', (agent) => {
  const tag = agent.version.replace(/\./g, '-');
  let c: Compat;
  const app = () => c.built.app;
  const get = async (url: string) => record(await request(app()).get(url));
  const jobs: string[] = [];

  beforeAll(() => {
    // dtle_dialect is left at its default, auto: the layout comes from the node's driver.dtle.version
    c = startCompat(agent.nomad, { dtle_drivers: ['dtle'], dtle_api_port: agent.apiPort, consul: consulAddr() });
  });
  afterAll(async () => {
    await Promise.all(jobs.map((id) => purge(agent.nomad, id)));
    c.close();
  });

  const post = async (job: LegacyJob) => {
    jobs.push(job.ID);
    const res = record(await request(app()).post('/v1/jobs').send(job));
    expect([res.status, res.text]).toEqual([200, expect.stringContaining('"Success":true')]);
    return res;
  };

  describe('the node', () => {
    it('GET /v1/nodes: one ready node, in 2.x shape', async () => {
      const seed = legacyFixture<Array<Record<string, unknown>>>('nodes.json')[0];
      const res = await get('/v1/nodes');
      expect(res.status).toBe(200);
      const nodes = res.body as LegacyNodeListStub[];
      expect(nodes).toHaveLength(1);
      expect(sortedKeys(nodes[0])).toEqual(sortedKeys(seed));
      expect(typesOf(nodes[0])).toEqual(typesOf(seed));
      expect(nodes[0]).toMatchObject({ Datacenter: 'dc1', Status: 'ready', HTTPAddr: '127.0.0.1:8190' });
    });

    it(`GET /v1/node/{ID}: the real fingerprint, driver.dtle.version ${agent.version}`, async () => {
      const id = ((await get('/v1/nodes')).body as LegacyNodeListStub[])[0]?.ID as string;
      const res = await get(`/v1/node/${id}`);
      expect(res.status).toBe(200);
      const node = res.body as LegacyNode;
      // a node running dtle shows exactly 2.x's attributes (internal/client/client.go:564)
      expect(node.Attributes).toEqual({ 'driver.Kafka': '1', 'driver.MySQL': '1' });
      // behind it, Nomad's fingerprint of the real plugin: its attribute "1", its version
      const nomadNode = (await (await fetch(`${agent.nomad}/v1/node/${id}`)).json()) as { Attributes: Record<string, string> };
      expect(nomadNode.Attributes).toMatchObject({
        'driver.dtle': '1',
        'driver.dtle.version': agent.version,
        'driver.dtle.full_version': expect.stringMatching(new RegExp(`^${agent.version.replace(/\./g, '\\.')}-`)),
      });
    });
  });

  describe.each([
    { kind: 'MySQL → MySQL', kafka: false },
    { kind: 'MySQL → Kafka', kafka: true },
  ])('a legacy $kind job', ({ kafka }) => {
    const ID = `e2e-dtle-${tag}-${kafka ? 'kafka' : 'mysql'}`;
    let ports: DeadEnds;
    let allocs: Awaited<ReturnType<typeof nomadAllocs>> = [];

    beforeAll(async () => {
      ports = await deadEnds();
      await post(realLegacyJob(ID, ports, { kafka }));
      allocs = await waitFor('an allocation per group', async () => {
        const list = await nomadAllocs(agent.nomad, ID);
        return list.length >= 2 ? list : undefined;
      });
    });

    it(`dtle_dialect auto wrote the ${dialectOf(agent.version)} layout, from the node's real driver.dtle.version`, async () => {
      const { json } = await nomadCall(agent.nomad, 'GET', `/v1/job/${ID}`);
      const job = json as NomadJobBody;
      const config = (g: string) => job.TaskGroups.find((x) => x.Name === g)?.Tasks[0]?.Config ?? {};
      expect(job.TaskGroups.map((g) => [g.Name, g.Tasks.map((t) => `${t.Name}:${t.Driver}`)])).toEqual([
        ['src', ['src:dtle']],
        ['dest', ['dest:dtle']],
      ]);
      if (dialectOf(agent.version) === 'per-task') {
        expect(Object.keys(config('src'))).toContain('ConnectionConfig');
        expect(Object.keys(config('src'))).not.toContain('SrcConnectionConfig');
        expect(Object.keys(config('dest'))).toContain(kafka ? 'KafkaConfig' : 'ConnectionConfig');
      } else {
        expect(Object.keys(config('src'))).toEqual(expect.arrayContaining(['SrcConnectionConfig', kafka ? 'KafkaConfig' : 'DestConnectionConfig']));
        expect(config('dest')).toEqual({ DestType: kafka ? 'kafka' : 'mysql' });
      }
    });

    // 4.22.07's Kafka dest connects to its brokers before it publishes its NATS address
    // (driver/kafka/kafka3.go Run), so that src waits for the address and never gets to MySQL
    const srcWaits = kafka && dialectOf(agent.version) === 'per-task';

    it(srcWaits ? 'the driver accepts the task configs: src starts and waits for dest\'s NATS address' : 'the driver accepts the task configs: src gets as far as connecting to its MySQL', async () => {
      if (srcWaits) {
        await waitForEvent(agent.nomad, ID, 'dest', /kafka: client has run out of available brokers/);
        const state = (await nomadAllocs(agent.nomad, ID)).find((a) => a.TaskGroup === 'src')?.TaskStates?.src;
        expect(state?.State).toBe('running');
        expect((state?.Events ?? []).map((e) => e.Type)).toEqual(['Received', 'Task Setup', 'Started']);
      } else {
        const text = await waitForEvent(agent.nomad, ID, 'src', refused(ports.src));
        expect(text).toBe(`Exit Code: 2, Exit Message: "dial tcp 127.0.0.1:${ports.src}: connect: connection refused"`);
      }
      expect((await eventTexts(agent.nomad, ID, 'src')).filter((t) => CONFIG_REFUSALS.test(t))).toEqual([]);
    });

    it(`the driver accepts the task configs: dest gets as far as connecting to its ${kafka ? 'Kafka broker' : 'MySQL'}`, async () => {
      const text = await waitForEvent(agent.nomad, ID, 'dest', kafka ? /kafka: client has run out/ : refused(ports.dest));
      expect(text).toBe(
        kafka
          ? 'Exit Code: 2, Exit Message: "kafka: client has run out of available brokers to talk to (Is your cluster reachable?)"'
          : `Exit Code: 2, Exit Message: "dial tcp 127.0.0.1:${ports.dest}: connect: connection refused"`,
      );
      expect((await eventTexts(agent.nomad, ID, 'dest')).filter((t) => CONFIG_REFUSALS.test(t))).toEqual([]);
    });

    it('dtle keeps the job\'s state in Consul under dtle/<Nomad job Name>/, where dtle-compat looks for it', async () => {
      const { json } = await nomadCall(agent.nomad, 'GET', `/v1/job/${ID}`);
      const name = (json as NomadJobBody).Name;
      // NatsAddr: the NATS handshake key (dest "waitdst", src "wait", then dest's address); in 4.22.07
      // src writes SourceType ("mysql") first; from 4.23.04 src writes its whole config as Config. A
      // 4.22.07 Kafka dest fails before it writes NatsAddr.
      const expected =
        dialectOf(agent.version) === 'src-only' ? ['Config', 'NatsAddr'] : kafka ? ['SourceType'] : ['NatsAddr', 'SourceType'];
      const keys = await waitFor('dtle\'s keys of the job', async () => {
        const k = await consulKeys(`dtle/${name}/`);
        return k.length === expected.length ? k : undefined;
      });
      expect(keys).toEqual(expected.map((k) => `dtle/${name}/${k}`));
      if (keys.includes(`dtle/${name}/NatsAddr`)) {
        expect(['waitdst', 'wait', `127.0.0.1:${agent.natsPort}`]).toContain(await consulValue(`dtle/${name}/NatsAddr`));
      }
      if (keys.includes(`dtle/${name}/SourceType`)) expect(await consulValue(`dtle/${name}/SourceType`)).toBe('mysql');
      if (dialectOf(agent.version) === 'src-only') {
        const config = JSON.parse(await consulValue(`dtle/${name}/Config`)) as Record<string, unknown>;
        // dtle writes the passwords in clear: whatever reads this key must mask them
        expect(config.SrcConnectionConfig).toMatchObject({ Host: '127.0.0.1', Port: ports.src, Password: CANARY });
      }
      // the task only reads the pause flag; nothing has written it
      expect((await consulKv(`dtleJobList/${name}`)).status).toBe(404);
    });

    it('GET /v1/job/{ID}: the 2.x job, passwords "*"', async () => {
      const res = await get(`/v1/job/${ID}`);
      expect(res.status).toBe(200);
      const job = res.body as LegacyJob;
      expect(sortedKeys(job)).toEqual(sortedKeys(legacyFixture('job-detail.json')));
      expect(job.Tasks.map((t) => [t.Type, t.Driver])).toEqual([
        ['Src', 'MySQL'],
        ['Dest', kafka ? 'Kafka' : 'MySQL'],
      ]);
      expect(res.text).not.toContain(CANARY);
      expect(res.text).toContain('"Password":"*"');
    });

    it('GET /v1/job/{ID}/allocations: 2.x stubs whose TaskStates carry the real driver\'s events', async () => {
      await waitForEvent(agent.nomad, ID, 'dest', kafka ? /kafka: client has run out/ : refused(ports.dest));
      const seed = legacyFixture<Array<Record<string, unknown>>>('job-allocations.json')[0];
      const res = await get(`/v1/job/${ID}/allocations`);
      expect(res.status).toBe(200);
      const list = res.body as LegacyAllocListStub[];
      expect(list.length).toBeGreaterThanOrEqual(2);
      for (const a of list) {
        expect(sortedKeys(a)).toEqual(sortedKeys(seed));
        expect(typesOf(a)).toEqual(typesOf(seed));
        expect(a).toMatchObject({ JobID: ID, Name: `${ID}.${a.Task}` });
        expect(Object.keys(a.TaskStates ?? {})).toEqual([a.Task]);
      }
      const texts = (task: string) => list.filter((a) => a.Task === task).flatMap((a) => (a.TaskStates?.[task]?.Events ?? []).map((e) => e.Message));
      // 2.x's TaskEvent has no DisplayMessage: the driver's error is the event's Message
      if (!srcWaits) expect(texts('Src')).toContain(`dial tcp 127.0.0.1:${ports.src}: connect: connection refused`);
      expect(texts('Dest')).toContain(
        kafka ? 'kafka: client has run out of available brokers to talk to (Is your cluster reachable?)' : `dial tcp 127.0.0.1:${ports.dest}: connect: connection refused`,
      );
      const terminated = list.flatMap((a) => a.TaskStates?.[a.Task]?.Events ?? []).filter((e) => e.Type === 'Terminated');
      expect(terminated.length).toBeGreaterThan(0);
      for (const e of terminated) expect(e.ExitCode).toBe(2);
    });

    it('the operator page and the job\'s page show the real driver\'s error for the failing task', async () => {
      await waitForEvent(agent.nomad, ID, 'dest', kafka ? /kafka: client has run out/ : refused(ports.dest));
      const destError = kafka ? 'kafka: client has run out of available brokers to talk to (Is your cluster reachable?)' : `dial tcp 127.0.0.1:${ports.dest}: connect: connection refused`;
      const unescape = (h: string) => h.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
      const list = await get('/ui/?refresh=0');
      expect(list.status).toBe(200);
      const row = new RegExp(`<tr data-job="${ID}"[^>]*>(.*?)</tr>`).exec(list.text)?.[1] ?? '';
      const destLi = /<li class="task health-[^"]*" data-task="Dest">(.*?)<\/li>/.exec(row)?.[1] ?? '';
      expect(unescape(/<span class="error-text"[^>]*>([^<]*)<\/span>/.exec(destLi)?.[1] ?? '')).toBe(destError);
      expect(list.text).not.toContain(CANARY);
      const page = await get(`/ui/job/${encodeURIComponent(ID)}?refresh=0`);
      expect(page.status).toBe(200);
      expect(unescape(/<ul class="tasks" id="tasks">.*?data-task="Dest">.*?<span class="error-text"[^>]*>([^<]*)<\/span>/.exec(page.text)?.[1] ?? '')).toBe(destError);
      // the timeline: the Terminated event with Nomad's own display text
      const events = [...page.text.matchAll(/<tr class="event[^"]*"><td>.*?<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => `${m[1]}: ${unescape(m[2] as string)}`);
      expect(events).toContain(`Terminated: Exit Code: 2, Exit Message: ${JSON.stringify(destError)}`);
      expect(page.text).not.toContain(CANARY);
      // where chromium is installed: screenshots of both pages as served (test-output/ui-real-dtle-*.png)
      const executablePath = findChromium();
      if (executablePath) {
        const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
        try {
          const tab = await browser.newPage({ viewport: { width: 1280, height: 720 } });
          mkdirSync(OUTPUT_DIR, { recursive: true });
          await tab.setContent(list.text);
          expect(await tab.textContent(`tr[data-job="${ID}"] li[data-task="Dest"] .error-text`)).toBe(destError);
          await tab.screenshot({ path: path.join(OUTPUT_DIR, `ui-real-dtle-${tag}-${kafka ? 'kafka' : 'mysql'}.png`), fullPage: true });
          await tab.setContent(page.text);
          await tab.screenshot({ path: path.join(OUTPUT_DIR, `ui-real-dtle-${tag}-${kafka ? 'kafka' : 'mysql'}-job.png`), fullPage: true });
        } finally {
          await browser.close();
        }
      }
    });

    it('GET /v1/allocation/{ID}: the 2.x allocation with its job', async () => {
      const src = allocs.find((a) => a.TaskGroup === 'src') as (typeof allocs)[number];
      const res = await get(`/v1/allocation/${src.ID}`);
      expect(res.status).toBe(200);
      const a = res.body as LegacyAllocation;
      expect(a).toMatchObject({ ID: src.ID, Task: 'Src', JobID: ID, NodeID: src.NodeID });
      expect(a.Job?.ID).toBe(ID);
      expect(res.text).not.toContain(CANARY);
    });

    /** A dest allocation of the job whose task is between two runs (dest flaps in every layout). */
    const restartingDest = () =>
      waitFor('a dest task between two runs', async () =>
        (await nomadAllocs(agent.nomad, ID)).find((a) => a.TaskGroup === 'dest' && a.TaskStates?.dest?.State !== 'running'),
      );

    // dtle keeps the job's position in Consul, so a task that is restarting or dead still has one
    it('GET /v1/agent/allocation/{ID}/stats of a restarting task answers its task with the job\'s position', async () => {
      const dest = await restartingDest();
      const res = await get(`/v1/agent/allocation/${dest.ID}/stats`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.Tasks)).toEqual(['Dest']);
      expect(res.body.Tasks.Dest).toMatchObject({ CurrentCoordinates: { GtidSet: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171' }, MsgStat: { InMsgs: 0 } });
    });
  });

  describe('a legacy job whose MySQL accepts connections and never answers: its tasks stay running', () => {
    const ID = `e2e-dtle-${tag}-running`;
    const holes: Array<{ port: number; close(): void }> = [];
    let src: Awaited<ReturnType<typeof nomadAllocs>>[number];

    beforeAll(async () => {
      for (let i = 0; i < 2; i++) holes.push(await silentListener());
      await post(realLegacyJob(ID, { src: holes[0]?.port ?? 0, dest: holes[1]?.port ?? 0 }));
      src = await waitFor('the src task running', async () => {
        const a = (await nomadAllocs(agent.nomad, ID)).find((x) => x.TaskGroup === 'src');
        return a?.TaskStates?.src?.State === 'running' ? a : undefined;
      }, 60_000);
      // the plugin publishes its gauges every stats_collection_interval (15 s), the first at once
      await waitFor('the plugin\'s gauges of the task', async () => {
        const text = await (await fetch(`http://127.0.0.1:${agent.apiPort}/metrics`)).text();
        return text.includes(`task_name="${ID}_src"`) ? true : undefined;
      }, 30_000);
    });
    afterAll(() => {
      for (const h of holes) h.close();
    });

    it('GET /v1/agent/allocation/{ID}/stats: the running task\'s 2.x statistics, with seed 003\'s keys and types', async () => {
      const seed = legacyFixture<{ Tasks: { Src: Record<string, unknown> } }>('alloc-stats.json').Tasks.Src;
      const res = await get(`/v1/agent/allocation/${src.ID}/stats`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.Tasks)).toEqual(['Src']);
      const stats = res.body.Tasks.Src as Record<string, unknown>;
      expect(sortedKeys(stats)).toEqual(sortedKeys(seed));
      // DelayCount, TableStats and ThroughputStat are an object or null in 2.x (the seed has null)
      const loose = (t: Record<string, string>) => ({ ...t, DelayCount: 'object|null', TableStats: 'object|null', ThroughputStat: 'object|null' });
      expect(loose(typesOf(stats))).toEqual(loose(typesOf(seed)));
      for (const k of ['DelayCount', 'TableStats', 'ThroughputStat']) expect(['object', 'null']).toContain(typesOf(stats)[k]);
      expect(stats).toMatchObject({
        CurrentCoordinates: expect.objectContaining({ GtidSet: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171' }),
        MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
        ProgressPct: '0.0',
        ETA: 'N/A',
      });
    });

    // the task's own statistics (alloc signal "stats") say Backlog "<queued>/<capacity>": with stats_signal, so does dtle-compat
    it('stats_signal: Backlog and the rest are the task\'s own, as its alloc signal "stats" answers them', async () => {
      const signal = await nomadCall(agent.nomad, 'POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'src', Signal: 'stats' });
      const own = JSON.parse(signal.text.replace(/^rpc error: code = Unknown desc = /, '')) as { Backlog: string; ProgressPct: string };
      const exact = startCompat(agent.nomad, { dtle_drivers: ['dtle'], consul: consulAddr(), stats_signal: true });
      try {
        const res = record(await request(exact.built.app).get(`/v1/agent/allocation/${src.ID}/stats`));
        expect(res.status).toBe(200);
        expect(res.body.Tasks.Src).toMatchObject({ Backlog: own.Backlog, ProgressPct: own.ProgressPct });
        expect(own.Backlog).toMatch(/^\d+\/\d+$/);
      } finally {
        exact.close();
      }
    });

    it('the alloc signal "stats" answers the task\'s TaskStatistics as the error text, and adds a task event', async () => {
      const signal = await nomadCall(agent.nomad, 'POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'src', Signal: 'stats' });
      expect(signal.status).toBe(500);
      expect(signal.text).toMatch(/^rpc error: code = Unknown desc = \{"CurrentCoordinates":/);
      expect(await waitForEvent(agent.nomad, ID, 'src', /^Task receive signal stats$/)).toBe('Task receive signal stats');
    });
  });
});
