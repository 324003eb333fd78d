import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/logging';

function capture(level: string) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString().trim());
      cb();
    },
  });
  return { lines, logger: createLogger({ level, transports: [new winston.transports.Stream({ stream })] }) };
}

describe('logger level gate', () => {
  it('drops lines below the level before formatting them, and follows a changed level', () => {
    const { lines, logger } = capture('warn');
    let formatted = 0;
    const probe = { toJSON: () => (formatted++, 'probe') };
    logger.info('request', { probe });
    logger.debug('detail', { probe });
    expect(formatted).toBe(0);
    logger.warn('kept', { probe });
    expect(formatted).toBe(1);
    logger.level = 'debug';
    logger.debug('now kept');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['kept', 'now kept']);
  });
});
