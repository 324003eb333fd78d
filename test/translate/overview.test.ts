import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNomadJson } from '../../src/nomad/json';
import { AllocList } from '../../src/nomad/types';
import { legacyAllocStub } from '../../src/translate/alloc';
import type { DtleState } from '../../src/translate/dtleState';
import {
  agoText,
  eventText,
  jobStageOf,
  matchesFilter,
  percentOf,
  shortGtid,
  sortJobs,
  stageOfLegacyEvents,
  timelineOf,
  uiJobOf,
  type Observed,
} from '../../src/translate/overview';
import type { LegacyAllocListStub } from '../../src/legacy/types';

/** The real dtle driver's allocations of a job whose MySQL refuses connections (test/fixtures/dtle/README.md). */
function flapping(version: string): LegacyAllocListStub[] {
  const text = readFileSync(path.resolve(__dirname, '..', 'fixtures', 'dtle', version, 'job-allocations-flapping.json'), 'utf8');
  return AllocList.parse(parseNomadJson(text)).map((a) => legacyAllocStub(a, null));
}

const none: Observed = { state: null, eta: null, moved: null };

function state(over: Partial<DtleState>): DtleState {
  return { gtid: null, binlog: null, stage: null, dumpProgress: null, natsAddr: null, sourceType: null, config: null, jobList: null, unreadable: [], ...over };
}

const stub = (id: string, status = 'running') => ({ ID: id, Name: id, Type: 'synchronous', Status: status });

describe('the operator view of a dtle job', () => {
  it.each(['4.22.07.2', '4.23.04.3'])('a real dtle %s job that cannot reach MySQL: failing, restarts counted, the dial error shown', (version) => {
    const allocs = flapping(version);
    const job = uiJobOf(stub('flap'), allocs, none, new Map([[allocs[0]?.NodeID ?? '', 'vm']]));
    expect(job.failing).toBe(true);
    expect(job.stage).toBe('');
    const [src, dest] = job.tasks;
    expect(job.tasks.map((t) => t.task)).toEqual(['Src', 'Dest']);
    // Dest: its first allocation failed (not restarting: attempts exceeded), its replacement waits to restart
    expect(dest?.failedAllocs).toBe(1);
    expect(['restarting', 'pending', 'running']).toContain(dest?.health);
    expect(src?.restarts).toBeGreaterThanOrEqual(1);
    expect(src?.nodeName).toBe('vm');
    for (const t of job.tasks) expect(t.lastError?.text).toMatch(/^dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
    // the failed allocation's own view: failed
    const failed = allocs.find((a) => a.ClientStatus === 'failed') as LegacyAllocListStub;
    const alone = uiJobOf(stub('flap'), [failed], none, new Map());
    expect(alone.tasks[0]?.health).toBe('failed');
    const timeline = timelineOf(failed);
    expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['Started', 'Terminated', 'Restarting', 'Not Restarting']));
    // Nomad's own DisplayMessage texts, rebuilt from 2.x's event fields
    const nomad = AllocList.parse(parseNomadJson(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'dtle', version, 'job-allocations-flapping.json'), 'utf8')));
    const raw = nomad.find((a) => a.ID === failed.ID);
    const rawEvents = Object.values(raw?.TaskStates ?? {}).flatMap((s) => s.Events);
    const display = new Map(rawEvents.map((e) => [`${e.Type}@${String(e.Time)}`, e.DisplayMessage]));
    for (const type of ['Terminated', 'Restarting', 'Not Restarting', 'Started', 'Received']) {
      const e = rawEvents.find((x) => x.Type === type);
      if (!e) continue;
      const legacy = Object.values(failed.TaskStates ?? {}).flatMap((s) => s.Events).find((x) => x.Type === type);
      expect(legacy && eventText(legacy)).toBe(display.get(`${e.Type}@${String(e.Time)}`));
    }
    expect(timeline.filter((e) => e.error).map((e) => e.type)).toContain('Terminated');
  });

  it('the stage: Consul JobStage wins; else incremental as soon as any task reports it', () => {
    expect(jobStageOf(state({ stage: 'full' }), [{ stage: 'incremental' }])).toEqual({ stage: 'full', from: 'consul' });
    expect(jobStageOf(state({ stage: 'incr' }), [])).toEqual({ stage: 'incremental', from: 'consul' });
    expect(jobStageOf(null, [{ stage: 'full' }, { stage: 'incremental' }])).toEqual({ stage: 'incremental', from: 'events' });
    expect(jobStageOf(state({}), [{ stage: 'full' }, { stage: '' }])).toEqual({ stage: 'full', from: 'events' });
    expect(jobStageOf(null, [{ stage: '' }])).toEqual({ stage: '', from: '' });
    expect(stageOfLegacyEvents([{ DriverMessage: 'job_stage_full' }, { DriverMessage: 'job_stage_incr' }])).toBe('incremental');
  });

  it('progress while copying, the position once incremental', () => {
    const copying = uiJobOf(stub('c'), [], { state: state({ stage: 'full', dumpProgress: { value: { exec: 12000, total: 160000 }, modifyIndex: 7 } }), eta: '34s', moved: null }, new Map());
    expect(copying.progress).toEqual({ exec: 12000, total: 160000, pct: 7.5, eta: '34s' });
    expect(copying.position).toBeNull();
    const gtid = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171';
    const incr = uiJobOf(
      stub('i'),
      [],
      { state: state({ stage: 'incr', gtid: { value: gtid, modifyIndex: 9 }, binlog: { value: { file: 'mysql-bin.000003', pos: 4711 }, modifyIndex: 9 }, dumpProgress: { value: { exec: 5, total: 5 }, modifyIndex: 3 } }), eta: null, moved: { atMs: 1000, exact: true } },
      new Map(),
    );
    expect(incr.progress).toBeNull();
    expect(incr.position).toEqual({ gtid, gtidShort: '8868d98f…:1-171', file: 'mysql-bin.000003', pos: 4711, movedAtMs: 1000, movedExact: true });
  });

  it('shortens a GTID set sensibly', () => {
    expect(shortGtid('')).toBe('');
    expect(shortGtid('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171')).toBe('8868d98f…:1-171');
    expect(shortGtid('aaaaaaaa-af5e-11e8-9aa9-0242ac110002:1-5,\nbbbbbbbb-af5e-11e8-9aa9-0242ac110002:1-9,cccccccc-af5e-11e8-9aa9-0242ac110002:3')).toBe('aaaaaaaa…:1-5,bbbbbbbb…:1-9 +1 more');
    expect(shortGtid('aaaaaaaa-af5e-11e8-9aa9-0242ac110002:1-5:7-9:11-13:15-17:19-21:23-1000')).toBe('aaaaaaaa…:…:23-1000');
  });

  it('percent, ago', () => {
    expect(percentOf(0, 0)).toBe(0);
    expect(percentOf(1, 3)).toBe(33.3);
    expect(percentOf(160000, 160000)).toBe(100);
    expect([agoText(4200), agoText(185_000), agoText(2 * 3600_000 + 5 * 60_000), agoText(3 * 86400_000)]).toEqual(['4 s', '3 min', '2 h 5 min', '3 d']);
  });

  it('failing first, then by ID; the status filter', () => {
    const a = { ...uiJobOf(stub('a'), [], none, new Map()) };
    const b = { ...uiJobOf(stub('b', 'pause'), [], none, new Map()) };
    const c = { ...uiJobOf(stub('c'), [], none, new Map()), failing: true };
    expect(sortJobs([a, b, c]).map((j) => j.id)).toEqual(['c', 'a', 'b']);
    expect([a, b, c].filter((j) => matchesFilter(j, 'failing')).map((j) => j.id)).toEqual(['c']);
    expect([a, b, c].filter((j) => matchesFilter(j, 'pause')).map((j) => j.id)).toEqual(['b']);
    expect(b.paused).toBe(true);
  });
});
