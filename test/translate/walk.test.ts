import { int64, Int64Value } from '../../src/legacy/int64';
import { DROP, KEEP, fieldName, isObject, sortedKeys, valueAt, walkJson } from '../../src/translate/walk';

describe('walkJson', () => {
  it('copies a value the visitor keeps, and gives each entry its key and path', () => {
    const seen: string[] = [];
    const value = { a: [1, { b: 'x' }], c: null };
    const out = walkJson(value, (_v, key, path) => {
      seen.push(`${key ?? '-'}@${fieldName('', path)}`);
      return KEEP;
    });
    expect(out).toEqual(value);
    expect(out).not.toBe(value);
    expect(seen).toEqual(['-@', 'a@a', '-@a[0]', '-@a[1]', 'b@a[1].b', 'c@c']);
  });

  it('replaces a value with what the visitor answers (not walked into) and drops entries', () => {
    const out = walkJson({ keep: { n: 1 }, swap: { deep: { x: 1 } }, gone: 2, list: [1, 2, 3] }, (v, key) => {
      if (key === 'swap') return 'swapped';
      if (key === 'gone' || v === 2) return DROP;
      return KEEP;
    });
    expect(out).toEqual({ keep: { n: 1 }, swap: 'swapped', list: [1, 3] });
  });

  it('treats class instances (Int64Value) as leaves', () => {
    const t = int64('1645601194102268758');
    const out = walkJson({ CreateTime: t }, () => KEEP) as { CreateTime: unknown };
    expect(out.CreateTime).toBe(t);
    expect(out.CreateTime).toBeInstanceOf(Int64Value);
  });
});

describe('valueAt, fieldName, isObject, sortedKeys', () => {
  it('looks a path up, objects by key and arrays by index', () => {
    const v = { Tasks: [{ Config: { ConnectionConfig: { Password: 'p' } } }] };
    expect(valueAt(v, ['Tasks', 0, 'Config', 'ConnectionConfig', 'Password'])).toBe('p');
    expect(valueAt(v, ['Tasks', 'x'])).toBeUndefined();
    expect(valueAt(v, ['Tasks', 3, 'Config'])).toBeUndefined();
  });

  it('names a field as the error messages do', () => {
    expect(fieldName('Tasks[1].Config', ['ReplicateDoDb', 0, 'Tables', 2, 'TableName'])).toBe('Tasks[1].Config.ReplicateDoDb[0].Tables[2].TableName');
    expect(fieldName('', ['a', 1])).toBe('a[1]');
  });

  it('isObject: objects only', () => {
    expect([{}, [], null, 'x', 1].map(isObject)).toEqual([true, false, false, false, false]);
  });

  it('sorts the keys of every object as Go writes a map, arrays keep their order', () => {
    const out = sortedKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } });
    expect(JSON.stringify(out)).toBe('{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
