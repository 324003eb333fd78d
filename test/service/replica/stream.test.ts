import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { NomadClient } from '../../../src/nomad/client';
import { LineSplitter, probeEventStream, runEventStream, type StreamDown, type StreamHandlers } from '../../../src/service/replica/stream';
import type { StreamEvent } from '../../../src/service/replica/touch';
import { collectingLogger, testConfig } from '../../support/harness';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'nomad', 'event-stream');
/** The lines a Nomad 1.11.3 agent wrote (heartbeat first). */
const CAPTURED = readFileSync(path.join(FIXTURES, 'job-lifecycle.ndjson'), 'utf8').split('\n').filter((l) => l !== '');

/** What one connection to the fake agent does: a status, then its body as a script. */
type Script = (res: http.ServerResponse, req: http.IncomingMessage) => void;

/** A tiny stand-in for Nomad's event endpoint: each connection runs the next script (the last repeats). */
async function fakeAgent(scripts: Script[]) {
  const seen: Array<{ query: URLSearchParams; token: string | undefined }> = [];
  const open = new Set<http.ServerResponse>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/event/stream') {
      res.writeHead(404).end();
      return;
    }
    seen.push({ query: url.searchParams, token: typeof req.headers['x-nomad-token'] === 'string' ? req.headers['x-nomad-token'] : undefined });
    open.add(res);
    res.on('close', () => open.delete(res));
    const script = scripts[Math.min(n, scripts.length - 1)];
    n++;
    script?.(res, req);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Nomad's 200 header of the hijacked answer (resume.json's headers). */
const ok = (res: http.ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', Connection: 'close' });
  // the hijacked answer's header block goes out at once, before any line
  res.flushHeaders();
};

function recorder() {
  const log: string[] = [];
  const frames: Array<{ index: bigint; events: StreamEvent[] }> = [];
  const downs: StreamDown[] = [];
  let contacts = 0;
  const handlers: StreamHandlers = {
    subscribed: (n) => log.push(`subscribed ${n}`),
    frame: (index, events) => {
      frames.push({ index, events });
      log.push(`frame ${index}`);
    },
    contact: () => {
      contacts++;
    },
    unreadable: (why) => log.push(`unreadable ${why}`),
    down: (why) => {
      downs.push(why);
      log.push(`down ${why.kind}`);
    },
  };
  return { log, frames, downs, handlers, contacts: () => contacts };
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const FAST = { heartbeatMs: 60, firstLineMs: 150, retryMs: 20, maxRetryMs: 40, refusedRetryMs: 60 };

describe('LineSplitter', () => {
  it('splits lines across and within chunks, and reports a line over the cap once, reading on after it', () => {
    const lines: string[] = [];
    let tooLong = 0;
    const s = new LineSplitter(12, (t) => lines.push(t), () => tooLong++);
    s.push(Buffer.from('{}\n{"Ind'));
    s.push(Buffer.from('ex":1}\n\n{}'));
    s.push(Buffer.from('\n' + 'x'.repeat(8)));
    s.push(Buffer.from('x'.repeat(8) + 'yyy'));
    s.push(Buffer.from('zz\n{}\n'));
    expect(lines).toEqual(['{}', '{"Index":1}', '{}', '{}']);
    expect(tooLong).toBe(1);
  });

  it('keeps a UTF-8 character split between chunks whole', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, (t) => lines.push(t), () => undefined);
    const b = Buffer.from('{"K":"é"}\n');
    s.push(b.subarray(0, 7));
    s.push(b.subarray(7));
    expect(lines).toEqual(['{"K":"é"}']);
  });
});

describe('runEventStream against a stand-in agent', () => {
  it('subscribes with the five topics and the service token, reads the captured frames in order, reconnects from the last index seen', async () => {
    const agent = await fakeAgent([
      (res) => {
        ok(res);
        // the captured lines, cut at arbitrary points
        const all = CAPTURED.join('\n') + '\n';
        for (let i = 0; i < all.length; i += 997) res.write(all.slice(i, i + 997));
        res.end();
      },
      (res) => {
        ok(res);
        res.write('{}\n');
      },
    ]);
    const config = testConfig({ nomad_addr: agent.url, nomad_token: 'svc-token-1234', nomad_namespace: 'default' });
    const nomad = new NomadClient(config);
    const r = recorder();
    let last = 0n;
    const stop = runEventStream(nomad, collectingLogger(), { ...r.handlers, frame: (i, e) => ((last = i), r.handlers.frame(i, e)) }, { ...FAST, fromIndex: () => last });
    try {
      await until('the second subscription', () => r.log.includes('subscribed 2'));
      const indexes = r.frames.map((f) => Number(f.index));
      expect(indexes).toEqual(CAPTURED.flatMap((l) => (l === '{}' ? [] : [Number(/^\{"Index":(\d+)/.exec(l)?.[1])])));
      expect(r.log.slice(0, 2)).toEqual(['subscribed 1', 'frame 8']);
      expect(r.log).toContain('down ended');
      expect(r.contacts()).toBeGreaterThanOrEqual(CAPTURED.length);
      expect(agent.seen[0]?.query.getAll('topic')).toEqual(['Job', 'Allocation', 'Evaluation', 'Node', 'Deployment']);
      expect(agent.seen[0]?.query.get('index')).toBe('0');
      expect(agent.seen[0]?.query.get('namespace')).toBe('default');
      expect(agent.seen[0]?.token).toBe('svc-token-1234');
      // asked again from the last index it saw (Nomad starts with that index's frames again)
      expect(agent.seen[1]?.query.get('index')).toBe('24');
    } finally {
      stop();
      nomad.close();
      await agent.close();
    }
  });

  it('a line over the cap and a line that is no frame are reported, the stream goes on', async () => {
    const agent = await fakeAgent([
      (res) => {
        ok(res);
        res.write('{}\n');
        res.write(`{"Index":5,"Events":[{"Topic":"Job","Key":"${'x'.repeat(300)}"}]}\n`);
        res.write('not json\n{"Error":"x"}\n{"Index":6,"Events":[]}\n');
      },
    ]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    const r = recorder();
    const stop = runEventStream(nomad, collectingLogger(), r.handlers, { ...FAST, maxLineBytes: 200, fromIndex: () => 0n });
    try {
      await until('frame 6', () => r.log.includes('frame 6'));
      expect(r.log).toEqual([
        'subscribed 1',
        'unreadable a line of the event stream is longer than 200 bytes',
        'unreadable a line of the event stream is not JSON',
        'unreadable a line of the event stream is neither a heartbeat nor a frame',
        'frame 6',
      ]);
    } finally {
      stop();
      nomad.close();
      await agent.close();
    }
  });

  it.each([
    [403, 'Permission denied', 'refused'],
    [404, '', 'unavailable'],
    [400, 'Unable to parse index: x', 'unavailable'],
  ])('an answer %i is a refusal (%s): no subscription, retried later', async (status, text, kind) => {
    const agent = await fakeAgent([(res) => res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text)]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    const r = recorder();
    const stop = runEventStream(nomad, collectingLogger(), r.handlers, { ...FAST, fromIndex: () => 0n });
    try {
      await until('two tries', () => agent.seen.length >= 2);
      expect(r.downs[0]).toEqual({ kind, status, reason: text });
      expect(r.log.some((l) => l.startsWith('subscribed'))).toBe(false);
    } finally {
      stop();
      nomad.close();
      await agent.close();
    }
  });

  it("Nomad 1.11.3's refusal (200, then nothing, the connection kept open) is a refusal once the first line is overdue; a 200 that closes at once too", async () => {
    const agent = await fakeAgent([(res) => ok(res), (res) => ok(res), (res) => (ok(res), res.end())]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    const r = recorder();
    const stop = runEventStream(nomad, collectingLogger(), r.handlers, { ...FAST, fromIndex: () => 0n });
    try {
      await until('three tries', () => r.downs.length >= 3);
      expect(r.downs.slice(0, 3).map((d) => d.kind)).toEqual(['silent', 'silent', 'closed-before-subscribing']);
      expect(r.log.some((l) => l.startsWith('subscribed'))).toBe(false);
    } finally {
      stop();
      nomad.close();
      await agent.close();
    }
  });

  it('a subscribed stream without a byte for three heartbeat intervals is dead and opened again', async () => {
    const agent = await fakeAgent([
      (res) => {
        ok(res);
        res.write('{}\n{"Index":3,"Events":[]}\n');
      },
      (res) => {
        ok(res);
        res.write('{}\n');
      },
    ]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    const r = recorder();
    let last = 0n;
    const stop = runEventStream(nomad, collectingLogger(), { ...r.handlers, frame: (i, e) => ((last = i), r.handlers.frame(i, e)) }, { ...FAST, fromIndex: () => last });
    try {
      await until('the second subscription', () => r.log.includes('subscribed 2'));
      expect(r.log.slice(0, 4)).toEqual(['subscribed 1', 'frame 3', 'down dead', 'subscribed 2']);
      expect(agent.seen[1]?.query.get('index')).toBe('3');
    } finally {
      stop();
      nomad.close();
      await agent.close();
    }
  });

  it('stop() ends the connection and no reconnect follows', async () => {
    const agent = await fakeAgent([
      (res) => {
        ok(res);
        res.write('{}\n');
      },
    ]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    const r = recorder();
    const stop = runEventStream(nomad, collectingLogger(), r.handlers, { ...FAST, fromIndex: () => 0n });
    try {
      await until('subscribed', () => r.log.includes('subscribed 1'));
      stop();
      await new Promise((res) => setTimeout(res, 300));
      expect(agent.seen).toHaveLength(1);
      expect(r.downs).toEqual([]);
    } finally {
      nomad.close();
      await agent.close();
    }
  });
});

describe('probeEventStream (--check)', () => {
  it('ok on the first line; the refusals named', async () => {
    const agent = await fakeAgent([
      (res) => (ok(res), res.write('{}\n')),
      (res) => res.writeHead(403).end('Permission denied'),
      (res) => ok(res),
    ]);
    const nomad = new NomadClient(testConfig({ nomad_addr: agent.url }));
    try {
      expect(await probeEventStream(nomad, 500)).toEqual({ ok: true, text: 'ok' });
      expect(await probeEventStream(nomad, 500)).toEqual({
        ok: false,
        text: 'refused (Nomad answered 403: Permission denied): the token needs read-job in the namespace and node:read',
      });
      expect(await probeEventStream(nomad, 200)).toEqual({
        ok: false,
        text: 'no line within 200 ms: Nomad 1.11 answers so a token without read-job in the namespace or node:read, or an agent with its event broker off',
      });
    } finally {
      nomad.close();
      await agent.close();
    }
  });
});
