import { DialectProbe } from '../../src/service/dialect';
import { startHarness, type Harness } from '../support/harness';

describe('DialectProbe', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  const probe = (harness: Harness, dialect: 'auto' | 'per-task' | 'src-only' = 'auto') =>
    new DialectProbe({ config: { ...harness.config, dtle_dialect: dialect }, nomad: harness.nomad });

  it.each([
    [[{ name: 'a', dtleVersion: '4.22.07.2' }], 'per-task'],
    [[{ name: 'a', dtleVersion: '4.23.04.3' }], 'src-only'],
    [[{ name: 'a', dtleVersion: '4.22.07.2' }, { name: 'b', dtleVersion: '4.23.04.3' }], 'src-only'],
    [[{ name: 'a', dtleVersion: null }], 'src-only'],
  ])('auto: nodes %j → %s', async (nodes, dialect) => {
    h = await startHarness({}, { nodes });
    await expect(probe(h).dialect({})).resolves.toBe(dialect);
  });

  it('asks Nomad once per 30 s, and not at all when a dialect is configured', async () => {
    h = await startHarness({}, { nodes: [{ name: 'a', dtleVersion: '4.22.07.2' }] });
    const p = probe(h);
    h.sim.resetCalls();
    await p.dialect({});
    await p.dialect({});
    await probe(h, 'per-task').dialect({});
    expect(h.sim.calls.filter((c) => c.path === '/v1/nodes')).toHaveLength(1);
  });
});
