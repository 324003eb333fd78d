import winston from 'winston';
import { Writable } from 'node:stream';
import { runWatch } from '../../src/service/watch';
import { createLogger } from '../../src/logging';

function capture() {
  const lines: Array<{ level: string; message: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; message: string });
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }) };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runWatch', () => {
  it('passes the last index on, restarts from 0 when the index goes backwards', async () => {
    const { logger } = capture();
    const seen: string[] = [];
    const answers = ['5', '9', '3', '4'];
    const stop = runWatch('test', logger, async (index, wait) => {
      seen.push(`${index}/${wait}`);
      const next = answers.shift();
      if (next === undefined) await tick(1000);
      return next ?? index;
    }, { wait: '7s' });
    await tick(50);
    stop();
    expect(seen.slice(0, 5)).toEqual(['0/7s', '5/7s', '9/7s', '0/7s', '4/7s']);
  });

  it('backs off exponentially while failing, warns once per streak, and says when it recovered', async () => {
    const { logger, lines } = capture();
    const times: number[] = [];
    let n = 0;
    const stop = runWatch('test', logger, async () => {
      times.push(Date.now());
      n++;
      if (n <= 4) throw new Error('connect ECONNREFUSED');
      if (n > 5) await tick(1000);
      return String(n);
    }, { retryMs: 20, maxRetryMs: 50 });
    await tick(250);
    stop();
    expect(n).toBe(6);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 20, 40, 50 (capped), 50
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(49);
    expect(gaps[2]).toBeLessThan(90);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['test watch failed; retrying']);
    expect(lines.filter((l) => l.level === 'debug')).toHaveLength(3);
    expect(lines.filter((l) => l.level === 'info').map((l) => l.message)).toEqual(['test watch recovered']);
  });

  it('does not spin when Nomad answers at once without moving its index', async () => {
    const { logger } = capture();
    let calls = 0;
    const stop = runWatch('test', logger, async () => {
      calls++;
      return '0';
    }, { retryMs: 40 });
    await tick(100);
    stop();
    expect(calls).toBeLessThanOrEqual(4);
  });
});
