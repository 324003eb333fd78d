import { dialectForVersion, OPTIONS_BY_DIALECT, KAFKA_SPEC, TASK_SPEC, SRC_ONLY_MARKERS } from '../../src/translate/spec';

describe('dialectForVersion', () => {
  it.each([
    ['4.22.07.2', 'per-task'],
    ['3.20.08.0', 'per-task'],
    ['4.22.11.0', 'src-only'],
    ['4.23.04.3', 'src-only'],
    ['9.9.9.9', 'src-only'],
    ['v4.22.07', 'per-task'],
    ['garbage', null],
  ])('%s → %s', (version, dialect) => {
    expect(dialectForVersion(version)).toBe(dialect);
  });
});

describe('the driver spec of each dialect', () => {
  it('src-only takes every per-task option and the two-way sync ones', () => {
    expect(Object.keys(OPTIONS_BY_DIALECT['src-only'])).toEqual(expect.arrayContaining(Object.keys(OPTIONS_BY_DIALECT['per-task'])));
    expect(Object.keys(OPTIONS_BY_DIALECT['src-only']).filter((k) => !(k in OPTIONS_BY_DIALECT['per-task'])).sort()).toEqual([
      'RetryTxLimit',
      'SetGtidNext',
      'TwoWaySync',
      'TwoWaySyncGtid',
    ]);
  });

  it('names the connection blocks of each layout, and only src-only has the markers', () => {
    expect(TASK_SPEC['per-task'].ConnectionConfig).toBeDefined();
    expect(TASK_SPEC['src-only'].ConnectionConfig).toBeUndefined();
    for (const k of SRC_ONLY_MARKERS) {
      expect(TASK_SPEC['src-only'][k]).toBeDefined();
      expect(TASK_SPEC['per-task'][k]).toBeUndefined();
    }
  });

  it('never writes KafkaConfig.Password in src-only (the driver declares it under another name)', () => {
    expect(KAFKA_SPEC['src-only'].Password).toBeUndefined();
    expect(KAFKA_SPEC['per-task'].TimeZone).toBe('string');
    expect(KAFKA_SPEC['src-only'].DateTimeZone).toBe('string');
  });
});
