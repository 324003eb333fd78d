import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, redactDeep, redactText } from '../../src/logging';

describe('redactText', () => {
  it.each([
    ['{"Password":"s3cret","User":"u"}', '{"Password":"*","User":"u"}'],
    ['map[Password:s3cret Host:h]', 'map[Password:* Host:h]'],
    ['X-Nomad-Token: abc-def', 'X-Nomad-Token: *'],
    ['password=hunter2&x=1', 'password=*&x=1'],
    ['"SrcConnectionConfig":{"Password": "p w"}', '"SrcConnectionConfig":{"Password": "*"}'],
  ])('scrubs %s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('scrubs known secret values wherever they appear', () => {
    expect(redactText('token was 0123-abcd in text', ['0123-abcd'])).toBe('token was * in text');
  });
});

describe('redactDeep', () => {
  it('masks secret keys at any depth and keeps other values', () => {
    const job = { Tasks: [{ Config: { ConnectionConfig: { Host: 'h', Password: 'CANARY-pw-7f3a' } } }], headers: { 'x-nomad-token': 't' } };
    expect(redactDeep(job)).toEqual({
      Tasks: [{ Config: { ConnectionConfig: { Host: 'h', Password: '*' } } }],
      headers: { 'x-nomad-token': '*' },
    });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { Password: 'x' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ Password: '*', self: '[circular]' });
  });
});

describe('createLogger', () => {
  function capture(format: 'json' | 'text', secrets: string[] = []) {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString().trim());
        cb();
      },
    });
    const logger = createLogger({ format, secrets, transports: [new winston.transports.Stream({ stream })] });
    return { logger, lines };
  }

  it('writes JSON lines with no password even when a whole job is logged', () => {
    const { logger, lines } = capture('json', ['configured-token-1']);
    logger.info('registering {"Password":"CANARY-pw-7f3a"}', {
      job: { Tasks: [{ Config: { ConnectionConfig: { Password: 'CANARY-pw-7f3a' } } }] },
      headers: { 'X-Nomad-Token': 'configured-token-1' },
      note: 'sent configured-token-1',
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line).not.toContain('CANARY-pw-7f3a');
    expect(line).not.toContain('configured-token-1');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.level).toBe('info');
    expect(parsed.job).toEqual({ Tasks: [{ Config: { ConnectionConfig: { Password: '*' } } }] });
  });

  it('writes plain text with --log-format text', () => {
    const { logger, lines } = capture('text');
    logger.warn('hello', { a: 1 });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* warn hello \{"a":1\}$/);
  });
});
