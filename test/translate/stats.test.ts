import { TaskEvent } from '../../src/nomad/types';
import { stringifyLegacy } from '../../src/legacy/int64';
import {
  STAGE_TEXT,
  dtleMetricsFor,
  dtleTaskLabel,
  etaOf,
  etaText,
  legacyOfTaskStatistics,
  legacyTaskStatistics,
  parsePrometheusText,
  progressPctOf,
  stageOfEvents,
  taskStatisticsOfSignal,
} from '../../src/translate/stats';
import { legacyFixture, sortedKeys, typesOf } from '../support/runtimeFixtures';

/** seed 003: GET /v1/agent/allocation/{ID}/stats of a 2.x agent */
const seedStats = legacyFixture<{ Tasks: Record<string, Record<string, unknown>> }>('alloc-stats.json');
const seedSrc = seedStats.Tasks.Src as Record<string, unknown>;

const GTID = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171';
const NOW = 1539004705449136612n;

/** The dtle plugin's /metrics as go-metrics' Prometheus sink writes it (names and labels of driver/handle.go emitStats). */
const METRICS = [
  '# HELP dtle_network_in_msgs dtle_network_in_msgs',
  '# TYPE dtle_network_in_msgs gauge',
  'dtle_network_in_msgs{host="nomad0",task_name="test1-2_src"} 4',
  'dtle_network_in_msgs{host="nomad0",task_name="test1-2_dest"} 9',
  'dtle_network_in_msgs{host="nomad0",task_name="other_src"} 100',
  'dtle_network_out_msgs{host="nomad0",task_name="test1-2_src"} 4',
  'dtle_network_in_bytes{host="nomad0",task_name="test1-2_src"} 0',
  'dtle_network_out_bytes{host="nomad0",task_name="test1-2_src"} 3413',
  'dtle_buffer_src_queue_size{host="nomad0",task_name="test1-2_src"} 2',
  'dtle_buffer_event_queue_size{host="nomad0",task_name="test1-2_src"} 5',
  'dtle_buffer_send_by_timeout{host="nomad0",task_name="test1-2_src"} 17',
  'dtle_buffer_send_by_size_full{host="nomad0",task_name="test1-2_src"} 3',
  'dtle_buffer_dest_queue_size{host="nomad0",task_name="test1-2_dest"} 6',
  'dtle_buffer_dest_queue2_size{host="nomad0",task_name="test1-2_dest"} 1',
  'dtle_table_insert{host="nomad0",task_name="test1-2_dest"} 14',
  'dtle_table_update{host="nomad0",task_name="test1-2_dest"} 2',
  'dtle_table_delete{host="nomad0",task_name="test1-2_dest"} 1',
  'dtle_delay_time{host="nomad0",task_name="test1-2_dest"} -3',
  'dtle_throughput_num{host="nomad0",task_name="test1-2_dest"} 1.2e+06',
  'dtle_throughput_time{host="nomad0",task_name="test1-2_dest"} 15',
  'dtle_src_extracted_incr_tx_count{host="nomad0",task_name="test1-2_src"} 111939',
  'dtle_dest_applied_incr_tx_count{host="nomad0",task_name="test1-2_dest"} 111930',
  'dtle_memory_full_kb_est{host="nomad0",task_name="test1-2_src"} 12.5',
  'go_goroutines 42',
  'broken{task_name="test1-2_src" 1',
  '',
].join('\n');

const samples = parsePrometheusText(METRICS);

describe('parsePrometheusText', () => {
  it('reads names, labels and values; skips comments and malformed lines', () => {
    expect(samples).toHaveLength(22);
    expect(samples[0]).toEqual({ name: 'dtle_network_in_msgs', labels: { host: 'nomad0', task_name: 'test1-2_src' }, value: 4 });
    expect(samples.find((s) => s.name === 'dtle_throughput_num')?.value).toBe(1_200_000);
    expect(samples.find((s) => s.name === 'go_goroutines')).toEqual({ name: 'go_goroutines', labels: {}, value: 42 });
    expect(samples.some((s) => s.name === 'broken')).toBe(false);
  });

  it('unescapes label values and reads +Inf/NaN', () => {
    const [a, b] = parsePrometheusText('m{l="a\\"b\\\\c\\nd"} +Inf\nn{l="x",} NaN 1700000000000');
    expect(a).toEqual({ name: 'm', labels: { l: 'a"b\\c\nd' }, value: Infinity });
    expect(b?.labels).toEqual({ l: 'x' });
    expect(Number.isNaN(b?.value)).toBe(true);
  });

  it('gives nothing for a text that is not Prometheus', () => {
    expect(parsePrometheusText('<html>not found</html>')).toEqual([]);
  });
});

describe('dtleMetricsFor', () => {
  it("keeps only the task's dtle_ gauges, keyed without the prefix", () => {
    const m = dtleMetricsFor(samples, dtleTaskLabel('test1-2', 'src'));
    expect(Object.fromEntries(m)).toEqual({
      network_in_msgs: 4,
      network_out_msgs: 4,
      network_in_bytes: 0,
      network_out_bytes: 3413,
      buffer_src_queue_size: 2,
      buffer_event_queue_size: 5,
      buffer_send_by_timeout: 17,
      buffer_send_by_size_full: 3,
      src_extracted_incr_tx_count: 111939,
      memory_full_kb_est: 12.5,
    });
  });
});

describe('stageOfEvents', () => {
  const ev = (msg: string, type = 'Driver') => TaskEvent.parse({ Type: type, Time: '1', DisplayMessage: msg, DriverMessage: msg });
  it('is the stage of the latest dtle stage event', () => {
    expect(stageOfEvents([ev('Task received by client', 'Received'), ev('job_stage_full')])).toBe('full');
    expect(stageOfEvents([ev('job_stage_full'), ev('job_stage_incr'), ev('Task started by client', 'Started')])).toBe('incr');
    expect(stageOfEvents([ev('Task started by client', 'Started')])).toBeNull();
  });
});

/** what a task's statistics have when Consul is not read */
const NO_CONSUL = { binlog: null, progress: null, eta: null } as const;

describe('legacyTaskStatistics', () => {
  it("without plugin metrics: seed 003's keys and JSON types, zero values, stage from the events", () => {
    const out = JSON.parse(stringifyLegacy(legacyTaskStatistics({ type: 'Src', stage: 'incr', gtid: GTID, ...NO_CONSUL, metrics: null, nowNs: NOW }))) as Record<
      string,
      unknown
    >;
    expect(sortedKeys(out)).toEqual(sortedKeys(seedSrc));
    expect(typesOf(out)).toEqual(typesOf(seedSrc));
    for (const k of ['CurrentCoordinates', 'MsgStat', 'BufferStat']) {
      expect(sortedKeys(out[k])).toEqual(sortedKeys(seedSrc[k]));
      expect(typesOf(out[k])).toEqual(typesOf(seedSrc[k]));
    }
    expect(out).toMatchObject({
      CurrentCoordinates: { File: '', Position: 0, GtidSet: GTID, RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '', ExecutedGtidSet: '' },
      TableStats: null,
      DelayCount: null,
      ThroughputStat: null,
      ProgressPct: seedSrc.ProgressPct,
      ETA: seedSrc.ETA,
      Stage: seedSrc.Stage,
      Backlog: '',
      ExecMasterRowCount: 0,
      ExecMasterTxCount: 0,
      MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
      BufferStat: { ExtractorTxQueueSize: 0, ApplierTxQueueSize: 0, ApplierGroupTxQueueSize: 0, SendByTimeout: 0, SendBySizeFull: 0 },
    });
  });

  it('writes Timestamp as a bare int64 number with every digit', () => {
    const text = stringifyLegacy(legacyTaskStatistics({ type: 'Src', stage: null, gtid: '', ...NO_CONSUL, metrics: null, nowNs: NOW }));
    expect(text.endsWith(`"Timestamp":${NOW}}`)).toBe(true);
  });

  it('Src with plugin metrics: MsgStat as seed 003 shows it, buffers and counters filled', () => {
    const out = legacyTaskStatistics({
      type: 'Src',
      stage: 'incr',
      gtid: GTID,
      ...NO_CONSUL,
      metrics: dtleMetricsFor(samples, 'test1-2_src'),
      nowNs: NOW,
    });
    expect(out.MsgStat).toEqual(seedSrc.MsgStat);
    expect(out.BufferStat).toEqual({ ExtractorTxQueueSize: 2, ApplierTxQueueSize: 0, ApplierGroupTxQueueSize: 0, SendByTimeout: 17, SendBySizeFull: 3 });
    expect(out.ExecMasterTxCount).toBe(111939);
    expect(out.ReadMasterTxCount).toBe(111939);
    expect(out.TableStats).toBeNull();
    expect(out.DelayCount).toBeNull();
    expect(out.ThroughputStat).toBeNull();
    expect(out.Stage).toBe('Master has sent all binlog to slave; waiting for more updates');
  });

  it('Dest with plugin metrics: tables, delay (never negative), throughput, applier queues', () => {
    const out = legacyTaskStatistics({
      type: 'Dest',
      stage: 'full',
      gtid: GTID,
      ...NO_CONSUL,
      metrics: dtleMetricsFor(samples, 'test1-2_dest'),
      nowNs: NOW,
    });
    expect(out.TableStats).toEqual({ InsertCount: 14, UpdateCount: 2, DelCount: 1 });
    expect(out.DelayCount).toEqual({ Num: 0, Time: 0 });
    expect(out.ThroughputStat).toEqual({ Num: 1_200_000, Time: 15 });
    expect(out.BufferStat).toEqual({ ExtractorTxQueueSize: 0, ApplierTxQueueSize: 1, ApplierGroupTxQueueSize: 6, SendByTimeout: 0, SendBySizeFull: 0 });
    expect(out.MsgStat).toEqual({ InMsgs: 9, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 });
    expect(out.ExecMasterTxCount).toBe(111930);
    expect(out.ReadMasterTxCount).toBe(0);
    expect(out.ProgressPct).toBe('0.0');
    expect(out.ETA).toBe('N/A');
    expect(out.Stage).toBe('Waiting for slave workers to process their queues');
  });

  it("uses 2.x's stage texts per task and stage", () => {
    expect(STAGE_TEXT).toEqual({
      Src: { full: 'Sending data', incr: 'Master has sent all binlog to slave; waiting for more updates' },
      Dest: { full: 'Waiting for slave workers to process their queues', incr: 'Slave has read all relay log; waiting for more updates' },
    });
    expect(legacyTaskStatistics({ type: 'Dest', stage: null, gtid: '', ...NO_CONSUL, metrics: null, nowNs: NOW }).Stage).toBe('');
  });
});

describe("the job's state in Consul", () => {
  it('fills CurrentCoordinates, the row counts, ProgressPct and ETA while copying', () => {
    const out = legacyTaskStatistics({
      type: 'Src',
      stage: 'full',
      gtid: '',
      binlog: { file: 'mysql-bin.000003', pos: 1543 },
      progress: { exec: 40_000, total: 120_000 },
      eta: '20s',
      metrics: null,
      nowNs: NOW,
    });
    expect(out).toMatchObject({
      CurrentCoordinates: { File: 'mysql-bin.000003', Position: 1543, GtidSet: '' },
      ProgressPct: '33.3',
      ETA: '20s',
      ExecMasterRowCount: 40_000,
      ReadMasterRowCount: 120_000,
      Stage: 'Sending data',
    });
  });

  it('once incremental: 100.0 and 0s whatever DumpProgress says', () => {
    const out = legacyTaskStatistics({ type: 'Dest', stage: 'incr', gtid: GTID, binlog: null, progress: { exec: 5, total: 5 }, eta: null, metrics: null, nowNs: NOW });
    expect([out.ProgressPct, out.ETA, out.Stage]).toEqual(['100.0', '0s', 'Slave has read all relay log; waiting for more updates']);
  });

  it('progressPctOf: FormatFloat(pct, f, 1); no total is 0.0', () => {
    expect(progressPctOf('full', { exec: 1, total: 3 })).toBe('33.3');
    expect(progressPctOf('full', { exec: 2, total: 3 })).toBe('66.7');
    expect(progressPctOf(null, { exec: 0, total: 0 })).toBe('0.0');
    expect(progressPctOf('full', null)).toBe('0.0');
  });

  it('etaOf: the copy rate between two readings, as dtle prints durations', () => {
    expect(etaOf({ exec: 0, atMs: 0 }, { exec: 40_000, total: 120_000, atMs: 10_000 })).toBe('20s');
    expect(etaOf({ exec: 0, atMs: 0 }, { exec: 1000, total: 1_000_000, atMs: 10_000 })).toBe('2h46m30s');
    expect(etaOf({ exec: 5, atMs: 0 }, { exec: 5, total: 10, atMs: 10_000 })).toBeNull();
    expect(etaOf({ exec: 0, atMs: 10 }, { exec: 5, total: 10, atMs: 10 })).toBeNull();
    expect([etaText(0.4), etaText(59.9), etaText(61), etaText(3600)]).toEqual(['0s', '59s', '1m1s', '1h0m0s']);
  });
});

describe("the task's own statistics (alloc signal stats)", () => {
  /** the answer of a real dtle 4.23.04.3 task through Nomad 1.11.3 (the real tier's capture) */
  const CAPTURED =
    'rpc error: code = Unknown desc = {"CurrentCoordinates":{"File":"","Position":0,"GtidSet":"","RelayMasterLogFile":"","ReadMasterLogPos":0,"RetrievedGtidSet":""},"TableStats":null,"DelayCount":{"Num":0,"Time":0},"ProgressPct":"0.0","ExecMasterRowCount":0,"ExecMasterTxCount":0,"ReadMasterRowCount":0,"ReadMasterTxCount":0,"ETA":"N/A","Backlog":"0/128","ThroughputStat":null,"MsgStat":{"InMsgs":0,"OutMsgs":0,"InBytes":0,"OutBytes":0,"Reconnects":0},"BufferStat":{"BinlogEventQueueSize":0,"ExtractorTxQueueSize":0,"ApplierMsgQueueSize":0,"ApplierTxQueueSize":0,"SendByTimeout":0,"SendBySizeFull":0},"Stage":"","Timestamp":1796166192175770653,"MemoryStat":{"Full":0,"Incr":0},"HandledTxCount":{"ExtractedTxCount":0,"AppliedTxCount":null},"HandledQueryCount":{"ExtractedQueryCount":0,"AppliedQueryCount":null}}';

  it("reads dtle's TaskStatistics from the signal's error text, and shows them as 2.x's struct", () => {
    const own = taskStatisticsOfSignal(CAPTURED);
    expect(own).not.toBeNull();
    const text = stringifyLegacy(legacyOfTaskStatistics(own as NonNullable<typeof own>));
    const out = JSON.parse(text) as Record<string, unknown>;
    expect(sortedKeys(out)).toEqual(sortedKeys(seedSrc));
    // DelayCount is a pointer (an object or null) in both structs: the seed's is null, the task's set
    expect({ ...typesOf(out), DelayCount: 'pointer' }).toEqual({ ...typesOf(seedSrc), DelayCount: 'pointer' });
    expect(text).toContain('"Timestamp":1796166192175770653}');
    expect(out).toMatchObject({ Backlog: '0/128', ETA: 'N/A', DelayCount: { Num: 0, Time: 0 }, CurrentCoordinates: { ExecutedGtidSet: '' } });
    expect(Object.keys(out.BufferStat as object)).toEqual(['ExtractorTxQueueSize', 'ApplierTxQueueSize', 'ApplierGroupTxQueueSize', 'SendByTimeout', 'SendBySizeFull']);
  });

  it('maps 4.x BufferStat to 2.x: ApplierMsgQueueSize → ApplierGroupTxQueueSize', () => {
    const own = taskStatisticsOfSignal(CAPTURED.replace('"ApplierMsgQueueSize":0,"ApplierTxQueueSize":0', '"ApplierMsgQueueSize":7,"ApplierTxQueueSize":3'));
    expect(legacyOfTaskStatistics(own as NonNullable<typeof own>).BufferStat).toMatchObject({ ApplierGroupTxQueueSize: 7, ApplierTxQueueSize: 3 });
  });

  it('no statistics in texts that hold none', () => {
    for (const t of ['Task not running', '1 error occurred:\n\t* Failed to signal task: src, err: Task not running\n\n', 'rpc error: code = Unknown desc = DTLE_BUG SignalTask. should not reach here', 'rpc error: code = Unknown desc = {"ProgressPct":1}']) {
      expect(taskStatisticsOfSignal(t)).toBeNull();
    }
  });
});
