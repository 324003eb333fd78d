import { legacyTime, nanosToRfc3339, rfc3339ToNanos } from '../../src/translate/time';

describe('nanosToRfc3339 (Go RFC3339Nano, UTC)', () => {
  it.each([
    // seed 000 event times → the same instants in 2.x's format, every nanosecond kept
    ['1645601194105068907', '2022-02-23T07:26:34.105068907Z'],
    ['1645601194106482600', '2022-02-23T07:26:34.1064826Z'],
    ['1645506633745401091', '2022-02-22T05:10:33.745401091Z'],
    // seed 003's event instant, as 2.x wrote it
    ['1538993511603015093', '2018-10-08T10:11:51.603015093Z'],
    // whole seconds: no fraction at all, as Go writes it
    ['1538993511000000000', '2018-10-08T10:11:51Z'],
    ['1538993511000000001', '2018-10-08T10:11:51.000000001Z'],
    ['1', '1970-01-01T00:00:00.000000001Z'],
  ])('%s → %s', (ns, text) => {
    expect(nanosToRfc3339(ns)).toBe(text);
    expect(nanosToRfc3339(BigInt(ns))).toBe(text);
  });

  it.each([['0'], ['-6795364578871345152'], ['not a number'], [''], [null], [undefined]])(
    'gives null (2.x wrote zero times as null) for %p',
    (ns) => {
      expect(nanosToRfc3339(ns as string | null | undefined)).toBeNull();
    },
  );

  it('round-trips with rfc3339ToNanos exactly', () => {
    for (const ns of ['1645601194105068907', '1645601194206515784', '1538993511603998869', '1700000000000000000']) {
      expect(rfc3339ToNanos(nanosToRfc3339(ns) as string)).toBe(BigInt(ns));
    }
  });
});

describe('legacyTime (Nomad task state times)', () => {
  it('keeps a UTC RFC3339Nano time as it is', () => {
    expect(legacyTime('2022-02-23T07:26:34.206515784Z')).toBe('2022-02-23T07:26:34.206515784Z');
  });
  it('turns an offset into UTC and drops trailing zeros', () => {
    expect(legacyTime('2022-02-23T15:26:34.206515700+08:00')).toBe('2022-02-23T07:26:34.2065157Z');
  });
  it.each([[null], [undefined], [''], ['0001-01-01T00:00:00Z'], ['yesterday']])('gives null for %p', (v) => {
    expect(legacyTime(v as string | null | undefined)).toBeNull();
  });
});
