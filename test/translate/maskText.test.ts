import { Int64Value, int64, stringifyLegacy } from '../../src/legacy/int64';
import { maskSecrets, maskSecretsInJsonText } from '../../src/translate/mask';

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
