/**
 * A purging DELETE waits (bounded) for the job's evaluations the scheduler may be planning: Nomad
 * 1.11.3's leader panics when a job is purged while one of its plans is being applied.
 */
import request from 'supertest';
import { awaitPlannedEvals, beingPlanned } from '../../src/service/evalWait';
import { canaryJob } from '../reliability/helpers';
import { collectingLogger, record, startHarness, type Harness } from '../support/harness';
import type { Evaluation } from '../../src/nomad/types';

let h: Harness;
afterEach(async () => h.close());
const app = () => h.built.app;
const start = async () => {
  // seed 003's tasks are pinned to NodeName "dtle"
  h = await startHarness({ purge_on_delete: true }, { nodes: [{ name: 'dtle' }] });
  expect(record(await request(app()).post('/v1/jobs').send(JSON.stringify(canaryJob('ev-job')))).status).toBe(200);
};
const deletes = () => h.sim.calls.filter((c) => c.method === 'DELETE' && c.path === '/v1/job/ev-job');

describe('DELETE with purge and the job\'s pending evaluations', () => {
  it('purges only once the pending evaluation is complete (a blocking read of the job\'s evaluations)', async () => {
    await start();
    const pending = h.sim.pendingEvaluation('ev-job');
    h.sim.resetCalls();
    let completedAt = 0;
    setTimeout(() => {
      expect(deletes()).toEqual([]);
      completedAt = Date.now();
      pending.complete();
    }, 400);
    const res = record(await request(app()).delete('/v1/job/ev-job'));
    expect([res.status, res.body.Success]).toEqual([200, true]);
    expect(completedAt).toBeGreaterThan(0);
    expect(deletes()).toEqual([{ method: 'DELETE', path: '/v1/job/ev-job', query: 'purge=true' }]);
    const evalReads = h.sim.calls.filter((c) => c.path === '/v1/job/ev-job/evaluations');
    // the first read at once, then one blocking read woken by the evaluation's completion
    expect(evalReads.length).toBe(2);
    expect(evalReads[1]?.query).toMatch(/(^|&)index=\d+/);
    expect((await fetch(`${h.sim.url}/v1/job/ev-job`)).status).toBe(404);
  });

  it('without a pending evaluation: no wait, one read', async () => {
    await start();
    h.sim.resetCalls();
    const t0 = Date.now();
    expect(record(await request(app()).delete('/v1/job/ev-job')).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(h.sim.calls.filter((c) => c.path === '/v1/job/ev-job/evaluations').length).toBe(1);
  });

  it('the wait is bounded: past it the purge goes ahead, logged', async () => {
    await start();
    const pending = h.sim.pendingEvaluation('ev-job');
    const lines: string[] = [];
    const t0 = Date.now();
    expect(await awaitPlannedEvals(h.nomad, collectingLogger(lines), 'ev-job', {}, 1200)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1200);
    expect(Date.now() - t0).toBeLessThan(4000);
    const warned = lines.map((l) => JSON.parse(l) as { message: string; evals?: string[] });
    expect(warned).toEqual([expect.objectContaining({ message: 'purging a job whose evaluations are still pending', evals: [pending.id] })]);
    pending.complete();
    expect(await awaitPlannedEvals(h.nomad, collectingLogger(), 'ev-job', {}, 1200)).toBe(true);
    // a job Nomad does not have has none
    expect(await awaitPlannedEvals(h.nomad, collectingLogger(), 'no-such-job', {}, 1200)).toBe(true);
  });
});

describe('beingPlanned', () => {
  const now = 1_700_000_000_000_000_000n;
  const ev = (Status: string, WaitUntil: string | null) => ({ Status, WaitUntil }) as Evaluation & { WaitUntil: string | null };
  it('pending and not delayed; a delayed reschedule (WaitUntil ahead), blocked and finished ones are not', () => {
    expect(beingPlanned(ev('pending', null), now)).toBe(true);
    expect(beingPlanned(ev('pending', '0001-01-01T00:00:00Z'), now)).toBe(true);
    expect(beingPlanned(ev('pending', '2023-11-14T22:13:19Z'), now)).toBe(true);
    expect(beingPlanned(ev('pending', '2023-11-14T22:13:21Z'), now)).toBe(false);
    for (const s of ['blocked', 'complete', 'failed', 'canceled']) expect(beingPlanned(ev(s, null), now)).toBe(false);
  });
});
