/**
 * What dtle keeps in Consul holds the job's passwords in clear (dtle/<job>/Config, dtle >= 4.23.04)
 * and the Consul token guards it: neither leaves the service, in any answer that reads Consul (the
 * statistics, with and without the task's own, the job, the lists, the operator page) or in a log
 * line, in clear or inside base64.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import winston from 'winston';
import { createApp } from '../../src/app';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import { CANARY_FORMS } from '../support/canary';
import { canaryJob } from '../reliability/helpers';
import { CANARY, collectBodies, consulClientOf, record, startHarness, type Harness } from '../support/harness';
import { SimConsul } from '@dtle-compat/sim';

const TOKEN = 'consul-secret-token-44e1';
let h: Harness;
beforeAll(async () => {
  const consul = new SimConsul({ aclToken: TOKEN });
  await consul.listen();
  h = await startHarness({ consul_token: TOKEN, stats_signal: true }, { nodes: [{ name: 'dtle' }], consul });
});
afterAll(() => h.close());

const clean = (text: string) => {
  for (const f of [...CANARY_FORMS, TOKEN]) expect(text).not.toContain(f);
};

it('reads the passwords dtle stored and lets none of them, nor the token, out', async () => {
  const app = h.built.app;
  expect(record(await request(app).post('/v1/jobs').send(JSON.stringify(canaryJob('sec-1')))).status).toBe(200);
  h.sim.advanceReplication(1000);
  // the precondition: dtle's Config in Consul has the password in clear
  expect(h.consul.value('dtle/sec-1/Config')).toContain(CANARY);
  const allocs = (await (await fetch(`${h.sim.url}/v1/job/sec-1/allocations`)).json()) as Array<{ ID: string }>;
  const paths = ['/v1/jobs', '/v1/job/sec-1', '/v1/job/sec-1/allocations', '/v1/allocations', '/ui/', ...allocs.map((a) => `/v1/agent/allocation/${a.ID}/stats`)];
  for (const p of paths) {
    const res = record(await request(app).get(p));
    expect([p, res.status]).toEqual([p, 200]);
    clean(res.text);
  }
  for (const p of ['/v1/job/sec-1/pause', '/v1/job/sec-1/resume']) clean(record(await request(app).put(p)).text);
  // a dtleJobList entry that is not dtle's: the refusal names no value
  h.consul.kv.put('dtleJobList/sec-1', Buffer.from(`{"Password":"${CANARY}"`));
  clean(record(await request(app).put('/v1/job/sec-1/pause')).text);
  clean(record(await request(app).delete('/v1/job/sec-1')).text);
  clean(h.logs.join('\n'));
  expect(h.consul.callHeaders.every((hd) => hd['x-consul-token'] === TOKEN)).toBe(true);
});

it('a token Consul refuses is not echoed by any answer or log line', async () => {
  const wrong = 'consul-wrong-token-9d9d';
  const config = Object.freeze({ ...h.config, consul_token: wrong });
  const nomad = new NomadClient(config);
  const consul = consulClientOf(config);
  const lines: string[] = [];
  const app = collectBodies(createApp({ config, nomad, consul, logger: createLogger({ level: 'debug', secrets: [wrong], transports: [streamTo(lines)] }) }).app);
  try {
    expect(record(await request(app).post('/v1/jobs').send(JSON.stringify(canaryJob('sec-2')))).status).toBe(200);
    const allocs = (await (await fetch(`${h.sim.url}/v1/job/sec-2/allocations`)).json()) as Array<{ ID: string }>;
    const texts = [
      record(await request(app).get(`/v1/agent/allocation/${allocs[0]?.ID}/stats`)).text,
      record(await request(app).put('/v1/job/sec-2/pause')).text,
      record(await request(app).delete('/v1/job/sec-2')).text,
    ];
    expect(texts[1]).toBe('ACL not found');
    for (const t of [...texts, ...lines]) expect(t).not.toContain(wrong);
    expect(lines.join('\n')).toContain('ACL not found');
  } finally {
    nomad.close();
    consul?.close();
  }
});

function streamTo(lines: string[]) {
  return new winston.transports.Stream({
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  });
}
