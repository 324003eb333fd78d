/**
 * The operator page in a real browser: the app listening on loopback in front of the simulated
 * Nomad, Debian's `chromium` driven by playwright-core. Saves a screenshot to test-output/ui.png.
 *
 * Chromium is found as CHROMIUM_PATH, else `chromium` / `chromium-browser` on PATH. Without it the
 * test fails, unless UI_TEST_ALLOW_NO_BROWSER=1 says to skip it.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import { SimNomad } from '@dtle-compat/sim';

const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output');

function findChromium(): string | null {
  const given = process.env.CHROMIUM_PATH;
  if (given) return given;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

const executablePath = findChromium();
const allowSkip = process.env.UI_TEST_ALLOW_NO_BROWSER === '1';
if (!executablePath && allowSkip) process.stderr.write('ui.browser: no chromium found; skipped because UI_TEST_ALLOW_NO_BROWSER=1\n');
const suite = !executablePath && allowSkip ? describe.skip : describe;

const EVIL_ID = `<img&"'onerror=window.__xss=1`;

suite('the operator page in Chromium', () => {
  let sim: SimNomad;
  let nomad: NomadClient;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;

  async function legacy(method: string, url: string, body?: unknown): Promise<number> {
    const res = await fetch(`${base}${url}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
    await res.arrayBuffer();
    return res.status;
  }

  function job(id: string, name: string) {
    const conn = (host: string) => ({ Host: host, Port: '3306', User: 'repl', Password: 'browser-secret-91f2' });
    return {
      ID: id,
      Name: name,
      Type: 'synchronous',
      Tasks: [
        { Type: 'Src', NodeName: 'nomad0', Config: { Gtid: '', ReplicateDoDb: [{ TableSchema: 'db1' }], ConnectionConfig: conn('10.0.0.1') } },
        { Type: 'Dest', NodeName: 'nomad0', Config: { ConnectionConfig: conn('10.0.0.2') } },
      ],
    };
  }

  beforeAll(async () => {
    if (!executablePath) {
      throw new Error('chromium not found (install Debian\'s chromium, or set CHROMIUM_PATH; UI_TEST_ALLOW_NO_BROWSER=1 skips this test)');
    }
    sim = new SimNomad();
    const url = await sim.listen();
    const config = Object.freeze({ ...loadConfig({ env: {} }), consul: '', nomad_addr: url });
    nomad = new NomadClient(config);
    const { app } = createApp({ config, nomad, consul: null, logger: createLogger({ silent: true }) });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    expect(await legacy('POST', '/v1/jobs', job('orders-sync', 'orders'))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job('billing-migration', 'billing'))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job(EVIL_ID, '<b>bold</b>'))).toBe(200);
    sim.setTaskStage('orders-sync', 'src', 'job_stage_incr');
    sim.setTaskStage('orders-sync', 'dest', 'job_stage_incr');
    expect(await legacy('PUT', '/v1/job/billing-migration/pause')).toBe(200);

    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    nomad?.close();
    await sim?.close();
  });

  async function jobRows(): Promise<string[][]> {
    return page.$$eval('#jobs tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  }

  it('shows every dtle job with status, stage and tasks, escaped, and the node', async () => {
    const res = await page.goto(`${base}/ui/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('dtle-compat: dtle jobs');
    expect(await page.getAttribute('meta[http-equiv="refresh"]', 'content')).toBe('10');
    expect(await jobRows()).toEqual([
      // dtle's applier (the dest task) reports the stage; the src task reports none
      [EVIL_ID, '<b>bold</b>', 'synchronous', 'running', 'full', 'Src running, Dest running (full)', 'joballocations'],
      ['billing-migration', 'billing', 'synchronous', 'pause', '', 'Src complete, Dest complete', 'joballocations'],
      ['orders-sync', 'orders', 'synchronous', 'running', 'incremental', 'Src running (incremental), Dest running (incremental)', 'joballocations'],
    ]);
    // the HTML in the job ID stayed text: no element was made from it, no handler ran
    expect(await page.$$('#jobs img, #jobs b')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const nodes = await page.$$eval('#nodes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(nodes.map((n) => [n[0], n[2], n[3], n[5]])).toEqual([['nomad0', 'dc1', 'ready', '4.23.04.3']]);
    expect(await page.content()).not.toContain('browser-secret-91f2');
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'ui.png'), fullPage: true });
  });

  it('the links open the legacy JSON of that job, even for an ID full of HTML', async () => {
    await page.goto(`${base}/ui/`);
    await page.click(`tr[data-job="${EVIL_ID.replace(/"/g, '\\"')}"] a:text-is("job")`);
    const detail = JSON.parse((await page.textContent('body')) ?? '') as { ID: string; Name: string; Tasks: Array<{ Config: { ConnectionConfig: { Password: string } } }> };
    expect(detail.ID).toBe(EVIL_ID);
    expect(detail.Name).toBe('<b>bold</b>');
    expect(detail.Tasks.map((t) => t.Config.ConnectionConfig.Password)).toEqual(['*', '*']);
    await page.goto(`${base}/ui/`);
    await page.click('tr[data-job="orders-sync"] a:text-is("allocations")');
    expect(new URL(page.url()).pathname).toBe('/v1/job/orders-sync/allocations');
    const allocs = JSON.parse((await page.textContent('body')) ?? '') as Array<{ Task: string; JobID: string }>;
    expect(allocs.map((a) => a.Task).sort()).toEqual(['Dest', 'Src']);
  });

  it('refreshes by itself: a job registered after the page loaded appears', async () => {
    await page.goto(`${base}/ui/?refresh=1`);
    expect(await page.$('tr[data-job="late-job"]')).toBeNull();
    expect(await legacy('POST', '/v1/jobs', job('late-job', 'late'))).toBe(200);
    await page.waitForSelector('tr[data-job="late-job"]', { timeout: 10_000 });
    expect((await jobRows()).map((r) => r[0])).toEqual([EVIL_ID, 'billing-migration', 'late-job', 'orders-sync']);
  });
});
