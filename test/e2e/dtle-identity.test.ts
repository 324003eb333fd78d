/**
 * Job identity against the real dtle driver. dtle keys all of a job's state by the Nomad job
 * *Name* (driver/driver.go StartTask and driver/handle.go: `cfg.JobName` is the Consul key
 * `dtle/<Name>/…` and `dtleJobList/<Name>`, the NATS subject `<Name>_full`…, the binlog relay dir
 * `<data_dir>/binlog/<Name>`, the metrics label `task_name="<Name>_<task>"`), and 2.x allowed two
 * jobs with one Name (seed 003's job list holds two jobs named `test1-2`).
 *
 * The first block proves the sharing on the real driver with two Nomad jobs posted straight to
 * Nomad. The second states the rule dtle-compat must follow (Nomad job Name := Nomad job ID :=
 * the legacy ID, a UUID when the body has none; the legacy Name kept in the job's Meta and shown
 * to legacy clients; refuse at POST what the driver would refuse or misfile). dtle-compat does not
 * follows it: the second block proves that on the real driver.
 *
 * No MySQL can run here (see dtleHelpers.ts): the tasks end at `connection refused` and restart.
 */
import request from 'supertest';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import {
  consulKeys,
  consulValue,
  deadEnds,
  describeEachDtle,
  dialectOf,
  nomadDtleJob,
  purge,
  realLegacyJob,
  registerInNomad,
  waitForEvent,
} from './dtleHelpers';
import { nomadCall, record, startCompat, waitFor, type Compat } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describeEachDtle('job identity', (agent) => {
  const tag = agent.version.replace(/\./g, '-');

  describe('today: two Nomad jobs with one Name share dtle\'s state (posted straight to Nomad)', () => {
    const name = `e2e-shared-${tag}`;
    const a = `e2e-shared-${tag}-a`;
    const b = `e2e-shared-${tag}-b`;
    let portsA: Awaited<ReturnType<typeof deadEnds>>;
    let portsB: Awaited<ReturnType<typeof deadEnds>>;

    beforeAll(async () => {
      portsA = await deadEnds();
      portsB = await deadEnds();
      await registerInNomad(agent.nomad, nomadDtleJob(a, name, agent.version, portsA));
      await registerInNomad(agent.nomad, nomadDtleJob(b, name, agent.version, portsB));
    });
    afterAll(async () => {
      await purge(agent.nomad, a, name);
      await purge(agent.nomad, b);
    });

    it('both jobs\' tasks run under the one Name: one dtle/<Name>/ tree in Consul, none per job ID', async () => {
      await waitForEvent(agent.nomad, a, 'dest', /127\.0\.0\.1:\d+|NatsAddr/);
      await waitForEvent(agent.nomad, b, 'dest', /127\.0\.0\.1:\d+|NatsAddr/);
      const all = await consulKeys('dtle/');
      expect(all.filter((k) => k.startsWith(`dtle/${name}/`)).length).toBeGreaterThan(0);
      expect(all.filter((k) => k.startsWith(`dtle/${a}`) || k.startsWith(`dtle/${b}`))).toEqual([]);
    });

    it('one metrics series per task for the two jobs: the plugin labels its gauges task_name="<Name>_<task>"', async () => {
      const labels = await waitFor('the plugin\'s gauges of the shared Name', async () => {
        const text = await (await fetch(`http://127.0.0.1:${agent.apiPort}/metrics`)).text();
        const found = text
          .split('\n')
          .filter((l) => l.startsWith('dtle_network_in_msgs{'))
          .map((l) => /task_name="([^"]+)"/.exec(l)?.[1] ?? '');
        return found.includes(`${name}_src`) ? found : undefined;
      });
      expect(labels.filter((l) => l === `${name}_src`)).toHaveLength(1);
      expect(labels.filter((l) => l.startsWith(`${a}_`) || l.startsWith(`${b}_`))).toEqual([]);
    });

    if (dialectOf(agent.version) === 'src-only') {
      // A third job of the Name with a dest group only: in this layout a dest task holds no
      // connection of its own (the src task carries DestConnectionConfig) and reads it from
      // dtle/<Name>/Config, so the only database it can dial is one of the other two jobs'.
      // (Waiting for A's or B's own dest to dial the other's port instead depends on which src
      // restarted last, and went unseen for 100 s in one run.)
      const c = `e2e-shared-${tag}-c`;
      afterAll(async () => {
        await purge(agent.nomad, c);
      });

      it('and in the src-only layout a dest task connects to the other job\'s database: it reads its connection from dtle/<Name>/Config, which the last src to start wrote', async () => {
        // a src of the Name has started and written its config (the tasks start in any order)
        const text = await waitFor(`dtle/${name}/Config`, async () => (await consulValue(`dtle/${name}/Config`)) || undefined, 60_000);
        const config = JSON.parse(text) as { SrcConnectionConfig: { Port: number } };
        expect([portsA.src, portsB.src]).toContain(config.SrcConnectionConfig.Port);
        const destOnly = nomadDtleJob(c, name, agent.version, await deadEnds());
        await registerInNomad(agent.nomad, { ...destOnly, TaskGroups: destOnly.TaskGroups.filter((g) => g.Name === 'dest') });
        const theirs = new RegExp(`dial tcp 127\\.0\\.0\\.1:(${portsA.dest}|${portsB.dest}): connect: connection refused`);
        const seen = await waitForEvent(agent.nomad, c, 'dest', theirs, 60_000);
        expect(seen).toMatch(theirs);
      }, 150_000);
    }
  });

  describe('the rule: dtle\'s key is the legacy ID, unique per job; the legacy Name is only shown', () => {
    let c: Compat;
    const app = () => c.built.app;
    const posted: string[] = [];
    const post = async (job: Partial<LegacyJob>) => record(await request(app()).post('/v1/jobs').send(job));
    const nomadJob = async (id: string) => (await nomadCall(agent.nomad, 'GET', `/v1/job/${encodeURIComponent(id)}`)).json as { ID: string; Name: string } | null;

    beforeAll(() => {
      c = startCompat(agent.nomad, { dtle_drivers: ['dtle'] });
    });
    afterAll(async () => {
      await Promise.all(posted.map((id) => purge(agent.nomad, id)));
      c.close();
    });

    it('two legacy jobs with one Name get two Nomad job Names (= their IDs), so dtle keeps two states', async () => {
      const name = `e2e-samename-${tag}`;
      const ids = [`e2e-samename-${tag}-1`, `e2e-samename-${tag}-2`];
      for (const id of ids) {
        posted.push(id);
        expect((await post(realLegacyJob(id, await deadEnds(), { name }))).status).toBe(200);
      }
      expect((await Promise.all(ids.map(nomadJob))).map((j) => j?.Name)).toEqual(ids);
      // the legacy client still sees the Name it posted, in the list and the detail
      const list = (await request(app()).get('/v1/jobs')).body as LegacyJobListStub[];
      expect(list.filter((s) => ids.includes(s.ID)).map((s) => s.Name)).toEqual([name, name]);
      expect(((await request(app()).get(`/v1/job/${ids[0]}`)).body as LegacyJob).Name).toBe(name);
      for (const id of ids) await waitFor(`dtle/${id}/NatsAddr`, async () => ((await consulKeys(`dtle/${id}/`)).length > 0 ? true : undefined), 60_000);
    });

    it('a legacy job without ID gets a UUID (as 2.x did), which is its Nomad ID and Name', async () => {
      const job = realLegacyJob('unused', await deadEnds(), { name: `e2e-noid-${tag}` });
      const { ID: _drop, ...body } = job;
      void _drop;
      const res = await post(body);
      expect(res.status).toBe(200);
      const list = (await request(app()).get('/v1/jobs')).body as LegacyJobListStub[];
      const mine = list.find((s) => s.Name === `e2e-noid-${tag}`);
      if (mine) posted.push(mine.ID);
      expect(mine?.ID).toMatch(UUID);
      expect((await nomadJob(mine?.ID ?? ''))?.Name).toBe(mine?.ID);
    });

    it('a Name longer than 64 characters is accepted: the driver never sees it (no "job name too long")', async () => {
      const id = `e2e-longname-${tag}`;
      posted.push(id);
      const res = await post(realLegacyJob(id, await deadEnds(), { name: 'n'.repeat(65) }));
      expect(res.status).toBe(200);
      expect((await nomadJob(id))?.Name).toBe(id);
      const text = await waitForEvent(agent.nomad, id, 'src', /connection refused|job name too long/);
      expect(text).not.toMatch(/job name too long/);
    });

    const refusedAtPost = async (_why: string, id: string) => {
      try {
        const res = await post(realLegacyJob(id, await deadEnds()));
        expect(res.status).toBe(400);
        expect(res.text).toMatch(/^ID: /);
        expect(await nomadJob(id)).toBeNull();
      } finally {
        // today some of these are registered, and their tasks flap: take them away at once
        await purge(agent.nomad, id);
      }
    };

    // what the real driver refuses at task start, or files under another job's keys
    it.each([
      ['longer than 64 bytes (driver/common/common.go ValidateJobName, g.JobNameLenLimit)', 'i'.repeat(65)],
      ['64 bytes as UTF-8 but fewer characters (Go\'s len counts bytes)', 'é'.repeat(33)],
      ['a "/" (Consul keys dtle/<ID>/ nest; the binlog relay dir nests; no legacy route can name it)', 'a/b'],
      ['an empty NATS token: ".." (nats.go badSubject)', 'a..b'],
      ['an empty NATS token: leading "."', '.a'],
      ['an empty NATS token: trailing "."', 'a.'],
      ['a NATS wildcard token "*" (subscribes to other jobs\' subjects)', 'a.*.b'],
      ['a NATS wildcard token ">"', 'a.>.b'],
      ['the suffix of a two-way job\'s reverse subject, "_dtrev" (driver/handle.go)', `e2e-${tag}_dtrev`],
    ])('POST refuses an ID with %s: 400 naming ID, nothing registered', refusedAtPost);

    it.each([
      ['a space (Nomad refuses it: Job ID contains a space)', 'a b'],
      ['a tab (Consul answers 400 for the key: "get pause status from consul failed")', 'a\tb'],
    ])('POST refuses an ID with %s: 400 naming ID, nothing registered', refusedAtPost);

    it('a dtle job made outside dtle-compat (Nomad job Name ≠ ID) keeps its Name for legacy clients', async () => {
      const id = `e2e-external-${tag}`;
      const name = `e2e external ${tag}`;
      await registerInNomad(agent.nomad, nomadDtleJob(id, name, agent.version, await deadEnds()));
      posted.push(id);
      await consulKeys(`dtle/${name}/`);
      const res = record(await request(app()).get(`/v1/job/${id}`));
      expect(res.status).toBe(200);
      expect((res.body as LegacyJob).Name).toBe(name);
      const list = (await request(app()).get('/v1/jobs')).body as LegacyJobListStub[];
      expect(list.find((s) => s.ID === id)?.Name).toBe(name);
      await purge(agent.nomad, id, name);
    });
  });
});
