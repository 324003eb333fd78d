/**
 * Captures Nomad's event stream (GET /v1/event/stream) from real agents into
 * test/fixtures/nomad/event-stream/ (see its README):
 *
 *   node -r ./test/support/ts-register.js scripts/capture-events.ts
 *
 * 1. A dev agent with raw_exec and a small event buffer (`event_buffer_size = 4`): the stream of
 *    the replica's topics while a job is registered, runs, is stopped and purged and the node's
 *    eligibility is toggled (every line as it came, heartbeats included); then what a new
 *    subscription gets first when it asks for the last index it saw (still buffered), for an
 *    index the buffer has dropped (a gap), and for the next index (nothing yet).
 * 2. A dev agent with ACLs: what the stream answers without a token, with a token whose policy
 *    lacks node:read, and with the management token.
 *
 * Saved byte for byte but temporary paths (`<dir>`) and the ACL tokens (`<token>`). Needs the
 * binary of scripts/nomad.sh (built when missing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { bootstrapAcl, repoRoot, startNomadAgent, type NomadAgent } from './nomad-agent';

const TOPICS = 'topic=Job&topic=Allocation&topic=Evaluation&topic=Node&topic=Deployment';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Streamed {
  status: number;
  headers: Record<string, string>;
  /** each line with the ms since the request was sent */
  lines: Array<{ ms: number; text: string }>;
  /** how it ended: 'closed' by the agent, or 'kept' (still open when we stopped reading) */
  end: 'closed' | 'kept';
}

/** Reads a stream for `ms` (or until the agent closes it). */
function stream(url: string, query: string, ms: number, token?: string, onLine?: (text: string) => void): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = http.get(`${url}/v1/event/stream?${query}`, { headers: token ? { 'X-Nomad-Token': token } : {} }, (res) => {
      const out: Streamed = { status: res.statusCode ?? 0, headers: {}, lines: [], end: 'kept' };
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && k !== 'date') out.headers[k] = v;
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          out.lines.push({ ms: Date.now() - started, text });
          onLine?.(text);
        }
      });
      const timer = setTimeout(() => {
        req.destroy();
        resolve(out);
      }, ms);
      res.on('end', () => {
        clearTimeout(timer);
        if (buf !== '') out.lines.push({ ms: Date.now() - started, text: buf });
        out.end = 'closed';
        resolve(out);
      });
    });
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
  });
}

async function call(url: string, method: string, p: string, body?: unknown, token?: string): Promise<unknown> {
  const r = await fetch(`${url}${p}`, {
    method,
    headers: { ...(token ? { 'X-Nomad-Token': token } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const JOB = {
  Job: {
    ID: 'events-capture',
    Name: 'events-capture',
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['600'] } }] }],
  },
};

function scrub(text: string, agent: NomadAgent, secrets: string[] = []): string {
  let out = text.split(agent.dir).join('<dir>');
  for (const s of secrets) out = out.split(s).join('<token>');
  return out;
}

async function lifecycle(outDir: string): Promise<void> {
  const agent = await startNomadAgent({ rawExec: true, waitForDrivers: ['raw_exec'], extraHcl: 'server {\n  event_buffer_size = 4\n}' });
  try {
    const { url } = agent;
    const indexes: number[] = [];
    const live = stream(url, `${TOPICS}&index=0`, 25_000, undefined, (text) => {
      const m = /^\{"Index":(\d+)/.exec(text);
      if (m) indexes.push(Number(m[1]));
    });
    await sleep(500);
    await call(url, 'PUT', '/v1/jobs', JOB);
    await until('the allocation running', async () => {
      const allocs = (await call(url, 'GET', '/v1/job/events-capture/allocations')) as Array<{ ClientStatus: string }>;
      return allocs.some((a) => a.ClientStatus === 'running');
    });
    await call(url, 'DELETE', '/v1/job/events-capture');
    await until('the allocation complete', async () => {
      const allocs = (await call(url, 'GET', '/v1/job/events-capture/allocations')) as Array<{ ClientStatus: string }>;
      return allocs.every((a) => a.ClientStatus !== 'running');
    });
    await call(url, 'DELETE', '/v1/job/events-capture?purge=true');
    const nodes = (await call(url, 'GET', '/v1/nodes')) as Array<{ ID: string }>;
    const node = nodes[0]?.ID ?? '';
    await call(url, 'PUT', `/v1/node/${node}/eligibility`, { NodeID: node, Eligibility: 'ineligible' });
    await call(url, 'PUT', `/v1/node/${node}/eligibility`, { NodeID: node, Eligibility: 'eligible' });
    await sleep(1500);
    const last = Math.max(...indexes);
    const first = Math.min(...indexes);
    // three new subscriptions: the last index seen (buffered), the first one (dropped by now), the next one
    const [again, gap, next] = await Promise.all([
      stream(url, `${TOPICS}&index=${last}`, 2000),
      stream(url, `${TOPICS}&index=${first}`, 2000),
      stream(url, `${TOPICS}&index=${last + 1}`, 2000),
    ]);
    const all = await live;
    writeFileSync(path.join(outDir, 'job-lifecycle.ndjson'), all.lines.map((l) => scrub(l.text, agent)).join('\n') + '\n');
    const firstLines = (s: Streamed) => s.lines.slice(0, 2).map((l) => ({ ms: l.ms, text: scrub(l.text.slice(0, 80), agent) }));
    writeFileSync(
      path.join(outDir, 'resume.json'),
      JSON.stringify(
        {
          event_buffer_size: 4,
          headers: all.headers,
          status: all.status,
          lifecycle_indexes: indexes,
          asked_last: { index: last, first_lines: firstLines(again) },
          asked_dropped: { index: first, first_lines: firstLines(gap) },
          asked_next: { index: last + 1, first_lines: firstLines(next) },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await agent.stop();
  }
}

async function acl(outDir: string): Promise<void> {
  const agent = await startNomadAgent({ acl: true });
  try {
    const { url } = agent;
    const root = await bootstrapAcl(url);
    await call(url, 'PUT', '/v1/acl/policy/jobs-only', { Name: 'jobs-only', Rules: 'namespace "default" { policy = "read" }' }, root);
    const token = (await call(url, 'PUT', '/v1/acl/token', { Name: 'jobs-only', Type: 'client', Policies: ['jobs-only'] }, root)) as { SecretID: string };
    const [none, jobsOnly, management] = await Promise.all([
      stream(url, `${TOPICS}&index=0`, 3000),
      stream(url, `${TOPICS}&index=0`, 3000, token.SecretID),
      stream(url, `${TOPICS}&index=0`, 3000, root),
    ]);
    const show = (s: Streamed) => ({ status: s.status, headers: s.headers, lines: s.lines.map((l) => scrub(l.text, agent, [root, token.SecretID])), end: s.end });
    writeFileSync(path.join(outDir, 'acl.json'), JSON.stringify({ no_token: show(none), without_node_read: show(jobsOnly), management: show(management) }, null, 2) + '\n');
  } finally {
    await agent.stop();
  }
}

async function main(): Promise<void> {
  const outDir = path.join(repoRoot(), 'test', 'fixtures', 'nomad', 'event-stream');
  mkdirSync(outDir, { recursive: true });
  await lifecycle(outDir);
  await acl(outDir);
  process.stdout.write(`captured into ${outDir}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
