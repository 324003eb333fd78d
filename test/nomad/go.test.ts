import { goDuration, nowNanos, parseGoBool, parseGoDuration, rfc3339Nano } from '../../src/nomad/go';

describe('parseGoDuration (time.ParseDuration, in ms)', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['300ms', 300],
    ['5s', 5000],
    ['+5s', 5000],
    ['-2s', -2000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['5.s', 5000],
    ['1500us', 1.5],
    ['1500\u00b5s', 1.5], // MICRO SIGN
    ['1500\u03bcs', 1.5], // GREEK SMALL LETTER MU: Go accepts both
    ['2h45m', 9_900_000],
    ['2562047h', 2562047 * 3_600_000],
  ])('%s → %d', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  // each one is an error in Go
  it.each(['', '-', '+', '5', '0s5', '.s', 's', '5d', '5 s', ' 5s', '5S', '1e3s', '2562048h', '2562047h48m'])('refuses %p', (text) => {
    expect(parseGoDuration(text)).toBeNull();
  });
});

describe('parseGoBool (strconv.ParseBool)', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('%s → true', (v) => expect(parseGoBool(v)).toBe(true));
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('%s → false', (v) => expect(parseGoBool(v)).toBe(false));
  it.each(['', 'yes', 'no', 'tRUE', 'on', ' true', '2'])('refuses %p', (v) => expect(parseGoBool(v)).toBeNull());
});

describe('goDuration (time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [7, '7ns'],
    [1500, '1.5µs'],
    [66628, '66.628µs'],
    [150_000_000, '150ms'],
    [1_500_000_000, '1.5s'],
    [15_000_000_000, '15s'],
    [30_000_000_000, '30s'],
    [90_000_000_000, '1m30s'],
    [3_600_000_000_000, '1h0m0s'],
    [-2_000_000_000, '-2s'],
  ])('%d ns → %s', (ns, text) => {
    expect(goDuration(ns)).toBe(text);
  });
});

describe('rfc3339Nano (time.Time as JSON, UTC)', () => {
  it.each([
    [1_538_993_511_603_015_093n, '2018-10-08T10:11:51.603015093Z'],
    [1_645_601_194_106_482_600n, '2022-02-23T07:26:34.1064826Z'],
    [1_538_993_511_000_000_000n, '2018-10-08T10:11:51Z'],
    [1_538_993_511_000_000_001n, '2018-10-08T10:11:51.000000001Z'],
  ])('%s → %s', (ns, text) => {
    expect(rfc3339Nano(ns)).toBe(text);
  });
});

describe('nowNanos (time.Now().UnixNano())', () => {
  it('is the wall clock in nanoseconds, and strictly increasing', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const times = Array.from({ length: 1000 }, () => nowNanos());
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    expect(times[0]! >= before).toBe(true);
    for (let i = 1; i < times.length; i++) expect(times[i]! > times[i - 1]!).toBe(true);
    // 1000 calls within a few ms: the +1 ns steps never run far ahead of the wall clock
    expect(times[times.length - 1]! <= after + 1_000_000n).toBe(true);
  });
});
