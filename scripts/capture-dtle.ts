/**
 * Captures real answers of the dtle driver, Nomad and Consul into test/fixtures/dtle and
 * test/fixtures/consul (see the README in each), for every dtle version the tier runs:
 *
 *   node -r ./test/support/ts-register.js scripts/capture-dtle.ts [version ...]
 *
 * It starts what the real-dtle tier starts (a Consul dev agent, one Nomad dev agent with the real
 * plugin per version, all on loopback free ports) and, per version:
 *   - the node with the dtle driver (`GET /v1/node/{ID}`);
 *   - a MySQL→MySQL job whose MySQL ports have nothing listening: its allocations while the
 *     tasks flap (connection refused, restart, "Not Restarting", the failed allocation
 *     rescheduled), and what dtle wrote in Consul for it;
 *   - a job whose MySQL ports accept connections and never answer (a silent TCP listener): its
 *     tasks stay running, so Nomad's `/v1/client/allocation/{ID}/stats`, the alloc signal `stats`
 *     answer, the task events after it and the plugin's /metrics can be read;
 *   - a job made through dtle's own API (`/v2/job/sync/create`, default admin login) and paused
 *     through it (`/v2/job/sync/pause`): its `dtleJobList/<job>` before and after, and its tasks'
 *     events.
 * Bodies are saved byte for byte as they came, less the password (the placeholder `<password>`,
 * also inside Consul's base64 values) and temporary paths (`<dir>`). Needs the binaries of scripts/nomad.sh, consul.sh and
 * dtle.sh (built when missing).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consulBinary, startConsulAgent, type ConsulAgent } from './consul-agent';
import { nomadDtleJob, silentListener } from './dtle-jobs';
import { dtlePlugin, dtleVersions, freePort, nomadBinary, repoRoot, startNomadAgent, type NomadAgent } from './nomad-agent';

/** The password every captured job carries; replaced by PLACEHOLDER in every saved byte. */
const PASSWORD = 'capture-Pw-5d1e';
const PLACEHOLDER = '<password>';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function call(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  // no Accept-Encoding (as curl sends none): the headers saved are those a plain client gets
  const res = await fetch(url, { ...init, headers: { 'Accept-Encoding': 'identity', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    // the transport's own headers say nothing about the API
    if (k !== 'date' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') headers[k] = v;
  });
  return { status: res.status, headers, text };
}

async function getJson<T>(url: string): Promise<T> {
  const a = await call(url);
  if (a.status !== 200) throw new Error(`GET ${url}: ${a.status} ${a.text.slice(0, 300)}`);
  return JSON.parse(a.text) as T;
}

async function waitUntil<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(500);
  }
}

/* ----------------------------------------------------------------- scrubbing */

/**
 * Works on the text as it came (JSON.parse would round Nomad's int64 times and Consul's Flags):
 * the password and temporary paths are replaced; a Consul `"Value": "<base64>"` is decoded,
 * scrubbed and encoded again.
 */
class Scrubber {
  constructor(private readonly dirs: string[]) {}

  text(s: string): string {
    let out = s.split(PASSWORD).join(PLACEHOLDER);
    for (const d of this.dirs) out = out.split(d).join('<dir>');
    return out.replace(/("Value":\s*")([A-Za-z0-9+/=]+)(")/g, (_m, a: string, b64: string, z: string) => {
      const plain = Buffer.from(b64, 'base64').toString('utf8');
      const clean = this.plain(plain);
      return clean === plain ? `${a}${b64}${z}` : `${a}${Buffer.from(clean, 'utf8').toString('base64')}${z}`;
    });
  }

  private plain(s: string): string {
    let out = s.split(PASSWORD).join(PLACEHOLDER);
    for (const d of this.dirs) out = out.split(d).join('<dir>');
    return out;
  }
}

/* ---------------------------------------------------------------- job bodies */

interface AllocStub {
  ID: string;
  TaskGroup: string;
  ClientStatus: string;
  DesiredStatus: string;
  TaskStates: Record<string, { State: string; Events: Array<{ Type: string; DisplayMessage: string }> }> | null;
}

/* ------------------------------------------------------------------- capture */

interface Saved {
  version: string;
  files: string[];
  notes: string[];
}

async function captureVersion(version: string, nomad: NomadAgent, consul: ConsulAgent, scrub: Scrubber, out: { dtle: string; consul: string }): Promise<Saved> {
  const saved: Saved = { version, files: [], notes: [] };
  const dtleDir = path.join(out.dtle, version);
  const consulDir = path.join(out.consul, version);
  mkdirSync(dtleDir, { recursive: true });
  mkdirSync(consulDir, { recursive: true });
  /** Saves an answer's body as it came (scrubbed), and its status and headers beside it. */
  const saveAnswer = (dir: string, name: string, ans: Answer, request: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, scrub.text(ans.text));
    const meta = file.replace(/\.(json|txt)$/, '') + '.headers.json';
    writeFileSync(meta, `${JSON.stringify({ request, status: ans.status, headers: ans.headers }, null, 2)}\n`);
    saved.files.push(path.relative(repoRoot(), file), path.relative(repoRoot(), meta));
  };
  /** Saves a body as it came (scrubbed). */
  const saveBody = (dir: string, name: string, ans: Answer) => {
    if (ans.status !== 200) throw new Error(`${name}: ${ans.status} ${ans.text.slice(0, 300)}`);
    writeFileSync(path.join(dir, name), scrub.text(ans.text));
    saved.files.push(path.relative(repoRoot(), path.join(dir, name)));
  };
  const nomadUrl = nomad.url;
  const register = async (job: Record<string, unknown>) => {
    const r = await call(`${nomadUrl}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
    if (r.status !== 200) throw new Error(`register: ${r.status} ${r.text}`);
  };
  const allocs = (id: string) => getJson<AllocStub[]>(`${nomadUrl}/v1/job/${id}/allocations`);

  // the node
  const [stub] = await getJson<Array<{ ID: string }>>(`${nomadUrl}/v1/nodes`);
  saveBody(dtleDir, 'node.json', await call(`${nomadUrl}/v1/node/${stub?.ID}`));

  // 1. a job whose MySQL has nothing listening: the tasks flap, the allocation fails and is rescheduled
  const flapping = 'capture-refused';
  await register(nomadDtleJob(flapping, flapping, version, { src: await freePort(), dest: await freePort() }, PASSWORD));
  await waitUntil('a failed allocation rescheduled', async () => {
    const list = await allocs(flapping);
    return list.some((a) => a.ClientStatus === 'failed') && list.length >= 3 ? true : undefined;
  });
  const flapAnswer = await call(`${nomadUrl}/v1/job/${flapping}/allocations`);
  saveBody(dtleDir, 'job-allocations-flapping.json', flapAnswer);
  const flapList = JSON.parse(flapAnswer.text) as AllocStub[];
  const failed = flapList.find((a) => a.ClientStatus === 'failed') as AllocStub;
  saveBody(dtleDir, 'allocation-failed.json', await call(`${nomadUrl}/v1/allocation/${failed.ID}`));
  saveAnswer(consulDir, 'kv-dtle-job-recurse.json', await call(`${consul.url}/v1/kv/dtle/${flapping}/?recurse`), `GET /v1/kv/dtle/${flapping}/?recurse`);
  saveAnswer(consulDir, 'kv-dtleJobList-absent.txt', await call(`${consul.url}/v1/kv/dtleJobList/${flapping}`), `GET /v1/kv/dtleJobList/${flapping}`);

  // 2. a job whose MySQL accepts and never answers: both tasks keep running
  const srcHole = await silentListener();
  const destHole = await silentListener();
  try {
    const running = 'capture-running';
    await register(nomadDtleJob(running, running, version, { src: srcHole.port, dest: destHole.port }, PASSWORD));
    const src = await waitUntil('the running src task', async () => {
      const list = await allocs(running);
      return list.find((a) => a.TaskGroup === 'src' && a.TaskStates?.src?.State === 'running');
    });
    await sleep(3000);
    saveAnswer(dtleDir, 'client-allocation-stats.json', await call(`${nomadUrl}/v1/client/allocation/${src.ID}/stats`), `GET /v1/client/allocation/{ID}/stats`);
    const signal = await waitUntil('the stats signal answer', async () => {
      const a = await call(`${nomadUrl}/v1/client/allocation/${src.ID}/signal`, { method: 'POST', body: JSON.stringify({ Task: 'src', Signal: 'stats' }) });
      return a.text.includes('CurrentCoordinates') ? a : undefined;
    }, 60_000);
    saveAnswer(dtleDir, 'signal-stats.txt', signal, 'POST /v1/client/allocation/{ID}/signal {"Task":"src","Signal":"stats"}');
    // the client reports the driver's "Task receive signal stats" event to the server a moment later
    await waitUntil('the signal\'s task event', async () => {
      const a = await getJson<{ TaskStates: AllocStub['TaskStates'] }>(`${nomadUrl}/v1/allocation/${src.ID}`);
      return (a.TaskStates?.src?.Events ?? []).some((e) => e.DisplayMessage === 'Task receive signal stats') ? true : undefined;
    }, 30_000);
    saveBody(dtleDir, 'allocation-running-after-signal.json', await call(`${nomadUrl}/v1/allocation/${src.ID}`));
    const metrics = await call(`http://127.0.0.1:${nomad.dtle?.api}/metrics`);
    const lines = metrics.text.split('\n').filter((l) => l.includes(`task_name="${running}_`) || /^# (HELP|TYPE) dtle_/.test(l));
    writeFileSync(path.join(dtleDir, 'plugin-metrics.txt'), `${scrub.text(lines.join('\n'))}\n`);
    saved.files.push(path.relative(repoRoot(), path.join(dtleDir, 'plugin-metrics.txt')));
    saveAnswer(consulDir, 'kv-dtle-running-recurse.json', await call(`${consul.url}/v1/kv/dtle/${running}/?recurse`), `GET /v1/kv/dtle/${running}/?recurse`);

    // 3. dtle's own API: a sync job, then its pause
    const api = `http://127.0.0.1:${nomad.dtle?.api}`;
    const login = await call(`${api}/v2/loginWithoutVerifyCode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenant: 'platform', username: 'admin', password: 'admin' }),
    });
    const token = (JSON.parse(login.text) as { data?: { token?: string } }).data?.token;
    if (!token) {
      saved.notes.push(`dtle's own API: login failed (${login.status} ${login.text.slice(0, 200)})`);
    } else {
      const conn = (port: number) => ({ host: '127.0.0.1', port, user: 'root', password: PASSWORD, database_type: 'MySQL' });
      const create = await call(`${api}/v2/job/sync/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: token },
        body: JSON.stringify({
          job_id: 'capture-api',
          src_task: { task_name: 'src', replicate_do_db: [{ table_schema: 'db1', tables: [{ table_name: 'tb1' }] }], connection_config: conn(srcHole.port), mysql_src_task_config: { gtid: '' } },
          // without mysql_dest_task_config dtle's handler closes the connection without an answer
          dest_task: { task_name: 'dest', database_type: 'MySQL', mysql_dest_task_config: { parallel_workers: 1 }, connection_config: conn(destHole.port) },
        }),
      });
      const jobId = (JSON.parse(create.text || '{}') as { job?: { job_id?: string } }).job?.job_id;
      if (create.status !== 200 || !jobId) {
        saved.notes.push(`dtle's own API: /v2/job/sync/create answered ${create.status} ${scrub.text(create.text)}`);
      } else {
        saveBody(dtleDir, 'nomad-job-made-by-dtle-api.json', await call(`${nomadUrl}/v1/job/${jobId}`));
        saveAnswer(consulDir, 'kv-dtleJobList-non-paused.json', await call(`${consul.url}/v1/kv/dtleJobList/${jobId}`), `GET /v1/kv/dtleJobList/${jobId}`);
        await waitUntil('both tasks of the API job running', async () => {
          const list = await allocs(jobId);
          const run = list.filter((a) => a.DesiredStatus === 'run');
          return run.length === 2 && run.every((a) => Object.values(a.TaskStates ?? {}).every((s) => s.State === 'running')) ? true : undefined;
        });
        const pause = await call(`${api}/v2/job/sync/pause`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: token },
          body: `job_id=${encodeURIComponent(jobId)}`,
        });
        saved.notes.push(`dtle's own API: /v2/job/sync/pause answered ${pause.status} ${scrub.text(pause.text)}`);
        saveAnswer(dtleDir, 'dtle-api-pause.json', pause, 'POST /v2/job/sync/pause (dtle\'s own API) job_id=<job>');
        await sleep(2000);
        saveAnswer(consulDir, 'kv-dtleJobList-after-pause.json', await call(`${consul.url}/v1/kv/dtleJobList/${jobId}`), `GET /v1/kv/dtleJobList/${jobId}`);
        saveBody(dtleDir, 'job-allocations-paused-by-dtle-api.json', await call(`${nomadUrl}/v1/job/${jobId}/allocations`));
      }
    }
  } finally {
    srcHole.close();
    destHole.close();
  }
  return saved;
}

async function main(): Promise<void> {
  const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : dtleVersions();
  const root = repoRoot();
  const out = { dtle: path.join(root, 'test', 'fixtures', 'dtle'), consul: path.join(root, 'test', 'fixtures', 'consul') };
  const parentDir = path.join(os.tmpdir(), `dtle-compat-capture-${process.pid}`);
  const scrub = new Scrubber([parentDir]);
  const bin = nomadBinary();
  const consulBin = consulBinary();
  const agents: Array<NomadAgent | ConsulAgent> = [];
  const results: Saved[] = [];
  // ctrl-C or a kill: stop what was started (the finally below does not run then)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void Promise.all(agents.map((a) => a.stop())).finally(() => {
        rmSync(parentDir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  let nomadVersion = '';
  let consulVersion = '';
  try {
    for (const version of versions) {
      // one version at a time, each with a Consul of its own: nothing of one run shows in the other's answers
      const consul = await startConsulAgent({ bin: consulBin, parentDir });
      agents.push(consul);
      consulVersion = (await getJson<{ Config: { Version: string } }>(`${consul.url}/v1/agent/self`)).Config.Version;
      const nomad = await startNomadAgent({ bin, parentDir, dtle: { plugin: dtlePlugin(version), consul: consul.addr }, waitForDrivers: ['dtle'] });
      agents.push(nomad);
      nomadVersion = (await getJson<{ config: { Version: { Version: string } } }>(`${nomad.url}/v1/agent/self`)).config.Version.Version;
      process.stderr.write(`[capture] dtle ${version} at ${nomad.url}\n`);
      results.push(await captureVersion(version, nomad, consul, scrub, out));
      await nomad.stop();
      await consul.stop();
    }
    // one entry per version: capturing one version keeps the other's
    const index = path.join(out.dtle, 'captured.json');
    const today = new Date().toISOString().slice(0, 10);
    const previous = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as { versions?: Record<string, unknown> }).versions ?? {} : {};
    const versionsOut: Record<string, unknown> = { ...previous };
    for (const r of results) versionsOut[r.version] = { captured: today, nomad: nomadVersion, consul: consulVersion, files: r.files, notes: r.notes };
    writeFileSync(index, `${JSON.stringify({ versions: versionsOut }, null, 2)}\n`);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    rmSync(parentDir, { recursive: true, force: true });
  }
  for (const r of results) {
    process.stderr.write(`[capture] dtle ${r.version}: ${r.files.length} files${r.notes.length ? `; ${r.notes.join('; ')}` : ''}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
