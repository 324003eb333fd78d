import { Int64Value, int64, stringifyLegacy } from '../../src/legacy/int64';
import { hasMaskedSecret, maskSecrets, maskSecretsInJsonText, secretValuesOf, withoutSecrets } from '../../src/translate/mask';

describe('maskSecretsInJsonText', () => {
  it('masks string and number values of secret keys at any depth, leaving every other byte as it was', () => {
    const text = '{"Index":1645601194094486985,"Servers":[{"Password":"CANARY-pw-7f3a","Port":3306}],"x":{"token" : 12345}}';
    expect(maskSecretsInJsonText(text)).toBe('{"Index":1645601194094486985,"Servers":[{"Password":"*","Port":3306}],"x":{"token" : "*"}}');
  });

  it('does not touch secret-looking text inside string values, nor objects under secret keys', () => {
    const text = '{"Message":"\\"Password\\": \\"x\\"","Password":{"Inner":"keep"},"ok":"Password"}';
    expect(maskSecretsInJsonText(text)).toBe(text);
  });

  it('handles escapes in keys and values', () => {
    expect(maskSecretsInJsonText('{"a\\"b":"c\\\\","Pass\\u0077ord":"s\\"ecret"}')).toBe('{"a\\"b":"c\\\\","Pass\\u0077ord":"*"}');
  });

  it('gives a text that is not JSON back unchanged', () => {
    expect(maskSecretsInJsonText('{"Password":"abc')).toBe('{"Password":"abc');
    expect(maskSecretsInJsonText('permission denied')).toBe('permission denied');
  });
});

describe('maskSecrets keeps int64 values', () => {
  it('an Int64Value survives masking and still serialises as a bare number', () => {
    const masked = maskSecrets({ CreateTime: int64('1645601194102268758'), Password: 'x' });
    expect(masked.CreateTime).toBeInstanceOf(Int64Value);
    expect(stringifyLegacy(masked)).toBe('{"CreateTime":1645601194102268758,"Password":"*"}');
  });
});

describe('maskSecrets', () => {
  it('masks string and number values of secret-named keys at any depth, in a copy', () => {
    const job = { Tasks: [{ Config: { ConnectionConfig: { Host: 'h', Port: 3306, Password: 'CANARY-pw-7f3a' }, KafkaConfig: { token: 42 } } }] };
    expect(maskSecrets(job)).toEqual({ Tasks: [{ Config: { ConnectionConfig: { Host: 'h', Port: 3306, Password: '*' }, KafkaConfig: { token: '*' } } }] });
    expect(job.Tasks[0]?.Config.ConnectionConfig.Password).toBe('CANARY-pw-7f3a');
  });

  it('leaves objects, null and booleans under secret keys, and secret-looking array items, as they are', () => {
    expect(maskSecrets({ Password: { Inner: 'keep' }, password: null, pwd: true, list: ['Password'] })).toEqual({
      Password: { Inner: 'keep' },
      password: null,
      pwd: true,
      list: ['Password'],
    });
  });
});

describe('hasMaskedSecret', () => {
  it('finds a "*" sent back under a secret key, at any depth', () => {
    expect(hasMaskedSecret([{ Config: { ConnectionConfig: { Password: '*' } } }])).toBe(true);
    expect(hasMaskedSecret([{ Config: { ConnectionConfig: { Password: 'x', Host: '*' } } }])).toBe(false);
    expect(hasMaskedSecret('*')).toBe(false);
  });
});

describe('withoutSecrets (what is kept in Nomad Meta)', () => {
  it('drops secret-keyed scalars (also null-free ones like numbers) and keeps secret-keyed objects, walked into', () => {
    expect(withoutSecrets({ ConnectionConfig: { Host: 'h', Password: 'p' }, Token: 12, Secret: null, Passwords: { User: 'u', Password: 'q' } })).toEqual({
      ConnectionConfig: { Host: 'h' },
      Secret: null,
      Passwords: { User: 'u' },
    });
  });
});

describe('secretValuesOf (scrubbed from event texts)', () => {
  it('ignores masked and empty values', () => {
    expect(secretValuesOf({ a: { Password: '*' }, b: [{ password: '' }, { Pwd: 42 }], c: { Host: 'x' } })).toEqual(['42']);
  });

  it('lists each value once', () => {
    expect(secretValuesOf([{ Password: 'CANARY-pw-7f3a' }, { Password: 'CANARY-pw-7f3a' }])).toEqual(['CANARY-pw-7f3a']);
  });
});
