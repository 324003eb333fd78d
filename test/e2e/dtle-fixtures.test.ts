/**
 * The captured answers of the real dtle driver, Nomad and Consul (test/fixtures/dtle and
 * test/fixtures/consul, made by scripts/capture-dtle.ts) parse with dtle-compat's own schemas of
 * Nomad's answers, hold no password, and say what the next work builds on (2.x's statistics
 * against dtle's TaskStatistics; dtle's Consul keys). Needs no agent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseNomadJson } from '../../src/nomad/json';
import { AllocList, Allocation, NodeDetail } from '../../src/nomad/types';
import { legacyFixture, sortedKeys } from '../support/runtimeFixtures';

const root = path.resolve(__dirname, '..', 'fixtures');
const VERSIONS = ['4.22.07.2', '4.23.04.3'];
const text = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const nomadJson = (rel: string): unknown => parseNomadJson(text(rel));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

interface KvEntry {
  Key: string;
  Value: string | null;
  Flags: number;
}

describe('the captured dtle and Consul answers', () => {
  it('hold no password and no path of the capturing machine (Consul values decoded)', () => {
    for (const f of [...files(path.join(root, 'dtle')), ...files(path.join(root, 'consul'))]) {
      const t = readFileSync(f, 'utf8');
      // (the path inside the fixtures: the checkout's own path may have a folder named consul)
      const decoded = path.relative(root, f).startsWith(`consul${path.sep}`) && f.endsWith('.json') && !f.endsWith('.headers.json')
        ? (JSON.parse(t) as KvEntry[]).map((e) => Buffer.from(e.Value ?? '', 'base64').toString('utf8')).join('\n')
        : '';
      for (const s of [t, decoded]) {
        expect(s).not.toMatch(/capture-Pw|CANARY|\/tmp\//);
        expect(s).not.toMatch(/"Password":\s*"(?!<password>"|\*")[^"]+"/);
      }
    }
  });

  describe.each(VERSIONS)('dtle %s', (version) => {
    it('node.json: dtle-compat\'s Node schema reads it; Drivers.dtle as the real driver fingerprints itself', () => {
      const node = NodeDetail.parse(nomadJson(`dtle/${version}/node.json`));
      const dtle = node.Drivers?.dtle;
      expect(dtle).toMatchObject({ Detected: true, Healthy: true, HealthDescription: 'Healthy' });
      expect(dtle?.Attributes).toEqual({
        'driver.dtle': 'true',
        'driver.dtle.version': version,
        'driver.dtle.full_version': expect.stringMatching(new RegExp(`^${version.replace(/\./g, '\\.')}-HEAD-[0-9a-f]{7}$`)),
      });
      expect(node.Attributes?.['driver.dtle']).toBe('1');
    });

    it('the flapping allocations: dtle-compat\'s schemas read them; a failed one replaced after "Not Restarting"', () => {
      const list = AllocList.parse(nomadJson(`dtle/${version}/job-allocations-flapping.json`));
      const failed = list.find((a) => a.ClientStatus === 'failed');
      expect(failed).toBeDefined();
      const alloc = Allocation.parse(nomadJson(`dtle/${version}/allocation-failed.json`));
      const state = Object.values(alloc.TaskStates ?? {})[0];
      const types = (state?.Events ?? []).map((e) => e.Type);
      expect(types).toContain('Terminated');
      expect(types).toContain('Restarting');
      expect(types).toContain('Not Restarting');
      expect(state).toMatchObject({ State: 'dead', Failed: true });
    });

    it('signal-stats.txt: dtle\'s TaskStatistics is 2.x\'s struct with other buffer fields and three more', () => {
      const raw = text(`dtle/${version}/signal-stats.txt`);
      expect(raw.startsWith('rpc error: code = Unknown desc = {')).toBe(true);
      const stats = JSON.parse(raw.slice('rpc error: code = Unknown desc = '.length)) as Record<string, Record<string, unknown>>;
      const seed = legacyFixture<{ Tasks: { Src: Record<string, Record<string, unknown>> } }>('alloc-stats.json').Tasks.Src;
      expect(sortedKeys(stats)).toEqual([...sortedKeys(seed), 'HandledQueryCount', 'HandledTxCount', 'MemoryStat'].sort());
      // 2.x's ExecutedGtidSet is not in dtle's CurrentCoordinates
      expect(sortedKeys(seed.CurrentCoordinates).filter((k) => !(k in (stats.CurrentCoordinates ?? {})))).toEqual(['ExecutedGtidSet']);
      // 2.x's BufferStat {ExtractorTxQueueSize, ApplierTxQueueSize, ApplierGroupTxQueueSize, …} against dtle's
      expect(sortedKeys(stats.BufferStat)).toEqual(['ApplierMsgQueueSize', 'ApplierTxQueueSize', 'BinlogEventQueueSize', 'ExtractorTxQueueSize', 'SendBySizeFull', 'SendByTimeout']);
    });

    it('Consul: dtle\'s keys of a job, written with libkv\'s flags; dtleJobList absent until dtle\'s own API writes it', () => {
      const entries = JSON.parse(text(`consul/${version}/kv-dtle-job-recurse.json`)) as KvEntry[];
      const keys = entries.map((e) => e.Key.replace(/^dtle\/[^/]+\//, ''));
      expect(keys).toEqual(version === '4.22.07.2' ? ['NatsAddr', 'SourceType'] : ['Config', 'NatsAddr']);
      // (beyond 2^53: read from the text, not from JSON.parse's double)
      expect(text(`consul/${version}/kv-dtle-job-recurse.json`).match(/"Flags": (\d+)/g)).toEqual(entries.map(() => '"Flags": 3304740253564472344'));
      const headers = JSON.parse(text(`consul/${version}/kv-dtle-job-recurse.headers.json`)) as { status: number; headers: Record<string, string> };
      expect(headers.status).toBe(200);
      expect(headers.headers['x-consul-index']).toMatch(/^\d+$/);
      const absent = JSON.parse(text(`consul/${version}/kv-dtleJobList-absent.headers.json`)) as { status: number };
      expect(absent.status).toBe(404);
      const item = JSON.parse(Buffer.from((JSON.parse(text(`consul/${version}/kv-dtleJobList-non-paused.json`)) as KvEntry[])[0]?.Value ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
      expect(sortedKeys(item)).toEqual(['allocation_status', 'dst_addr_list', 'dst_database_type', 'job_create_time', 'job_id', 'job_status', 'job_steps', 'src_addr_list', 'src_database_type', 'topic', 'user']);
      expect(item.job_status).toBe('non-paused');
    });
  });
});
