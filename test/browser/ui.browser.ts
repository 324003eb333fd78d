/**
 * The operator pages in a real browser: the app listening on loopback in front of the simulated
 * Nomad and Consul (its dtle driver writing each job's state as a replicating task does), Debian's
 * `chromium` driven by playwright-core. Saves screenshots to test-output/: ui.png (the list),
 * ui-copying.png, ui-incremental.png, ui-paused.png (those jobs' pages), ui-failing.png (the list
 * filtered to failing jobs) and ui-job-page.png (the failing job's page with its task events).
 *
 * Chromium is found as CHROMIUM_PATH, else `chromium` / `chromium-browser` on PATH. Without it the
 * test fails, unless UI_TEST_ALLOW_NO_BROWSER=1 says to skip it.
 */
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import { ConsulClient } from '../../src/consul/client';
import { SimConsul, SimNomad } from '@dtle-compat/sim';
import { failTasks } from '../support/simFailure';
import { findChromium } from '../support/chromium';

const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output');

const executablePath = findChromium();
const allowSkip = process.env.UI_TEST_ALLOW_NO_BROWSER === '1';
if (!executablePath && allowSkip) process.stderr.write('ui.browser: no chromium found; skipped because UI_TEST_ALLOW_NO_BROWSER=1\n');
const suite = !executablePath && allowSkip ? describe.skip : describe;

const EVIL_ID = `<img&"'onerror=window.__xss=1`;
/** the real dtle driver's error when its MySQL refuses connections (test/fixtures/dtle) */
const FAILURE = 'dial tcp 10.0.0.99:3306: connect: connection refused';

suite('the operator page in Chromium', () => {
  let sim: SimNomad;
  let simConsul: SimConsul;
  let nomad: NomadClient;
  let consul: ConsulClient;
  let server: http.Server;
  let base: string;
  let browser: Browser;
  let page: Page;

  async function legacy(method: string, url: string, body?: unknown): Promise<number> {
    const res = await fetch(`${base}${url}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) });
    await res.arrayBuffer();
    return res.status;
  }

  function job(id: string, name: string, gtid = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171') {
    const conn = (host: string) => ({ Host: host, Port: '3306', User: 'repl', Password: 'browser-secret-91f2' });
    return {
      ID: id,
      Name: name,
      Type: 'synchronous',
      Tasks: [
        { Type: 'Src', NodeName: 'nomad0', Config: { Gtid: gtid, ReplicateDoDb: [{ TableSchema: 'db1' }], ConnectionConfig: conn('10.0.0.1') } },
        { Type: 'Dest', NodeName: 'nomad0', Config: { ConnectionConfig: conn('10.0.0.2') } },
      ],
    };
  }

  beforeAll(async () => {
    if (!executablePath) {
      throw new Error('chromium not found (install Debian\'s chromium, or set CHROMIUM_PATH; UI_TEST_ALLOW_NO_BROWSER=1 skips this test)');
    }
    simConsul = new SimConsul();
    await simConsul.listen();
    sim = new SimNomad({ consul: simConsul, replication: { rows: 160_000, rowsPerSecond: 4000, txPerSecond: 12 } });
    const url = await sim.listen();
    const config = Object.freeze({ ...loadConfig({ env: {} }), consul: simConsul.addr, nomad_addr: url });
    nomad = new NomadClient(config);
    consul = new ConsulClient(config);
    const { app } = createApp({ config, nomad, consul, logger: createLogger({ silent: true }) });
    server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    expect(await legacy('POST', '/v1/jobs', job('orders-sync', 'orders'))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job('billing-migration', 'billing', ''))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job('inventory-sync', 'inventory'))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job('reports-archive', 'reports'))).toBe(200);
    expect(await legacy('POST', '/v1/jobs', job(EVIL_ID, '<b>bold</b>'))).toBe(200);
    // ten simulated seconds: billing-migration copies 40,000 of its 160,000 rows; the jobs with a Gtid are incremental
    sim.advanceReplication(10_000);
    // dtle's applier (the dest task) reports the stage
    sim.setTaskStage('orders-sync', 'dest', 'job_stage_incr');
    // inventory-sync's destination refuses connections: its dest task exits, restarts, then fails for good
    failTasks(sim, 'inventory-sync', 'dest', FAILURE, 'failed');
    expect(await legacy('PUT', '/v1/job/reports-archive/pause')).toBe(200);

    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    nomad?.close();
    consul?.close();
    await sim?.close();
    await simConsul?.close();
  });

  async function jobRows(): Promise<string[][]> {
    return page.$$eval('#jobs tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  }

  function consulText(key: string): string {
    return simConsul.kv.get(key).found?.Value?.toString('utf8') ?? '';
  }

  async function shot(name: string): Promise<void> {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT_DIR, name), fullPage: true });
  }

  const row = (id: string) => `tr[data-job="${id.replace(/"/g, '\\"')}"]`;

  it("the list: failing first; the copy's progress bar, the Gtid reached, the failing task's error, the paused mark; escaped", async () => {
    const res = await page.goto(`${base}/ui/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('dtle-compat: dtle jobs');
    expect(await page.getAttribute('meta[http-equiv="refresh"]', 'content')).toBe('10');
    expect((await jobRows()).map((r) => r[0])).toEqual(['inventory-sync', EVIL_ID, 'billing-migration', 'orders-sync', 'reports-archive']);

    // copying: rows of the full copy from dtle's DumpProgress
    expect(consulText('dtle/billing-migration/DumpProgress')).toBe('[40000,160000]');
    expect(await page.getAttribute(`${row('billing-migration')} progress`, 'value')).toBe('40000');
    expect(await page.getAttribute(`${row('billing-migration')} progress`, 'max')).toBe('160000');
    expect(await page.$eval(`${row('billing-migration')} progress`, (p) => (p as unknown as { position: number }).position)).toBe(0.25);
    expect(await page.textContent(`${row('billing-migration')} .rows`)).toBe('40,000 of 160,000 rows (25.0 %)');
    expect(await page.textContent(`${row('billing-migration')} td.stage`)).toBe('full');

    // incremental: the Gtid dtle uploaded, shortened, whole in the title; the binlog position
    const gtid = consulText('dtle/orders-sync/Gtid');
    expect(gtid).toMatch(/^8868d98f-af5e-11e8-9aa9-0242ac110002:1-\d+$/);
    expect(await page.textContent(`${row('orders-sync')} .gtid`)).toBe(`8868d98f…:${gtid.split(':')[1]}`);
    expect(await page.getAttribute(`${row('orders-sync')} .gtid`, 'title')).toBe(gtid);
    expect(await page.textContent(`${row('orders-sync')} .binlog`)).toBe(consulText('dtle/orders-sync/BinlogFilePos').replace('//dtle//', ':'));
    expect(await page.textContent(`${row('orders-sync')} td.stage`)).toBe('incremental');

    // failing: marked, its task's error text
    expect(await page.getAttribute(row('inventory-sync'), 'class')).toBe('failing');
    expect(await page.textContent(`${row('inventory-sync')} .mark.failing`)).toBe('failing');
    expect(await page.textContent(`${row('inventory-sync')} li[data-task="Dest"] .error-text`)).toBe(FAILURE);
    expect(await page.textContent(`${row('inventory-sync')} li[data-task="Dest"] .health`)).toBe('failed · restarted 2×');

    // paused
    expect(await page.textContent(`${row('reports-archive')} .mark.paused`)).toBe('paused');

    // the HTML in the job ID stayed text: no element was made from it, no handler ran
    expect(await page.$$('#jobs img, #jobs b')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const nodes = await page.$$eval('#nodes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(nodes.map((n) => [n[0], n[2], n[3], n[5]])).toEqual([['nomad0', 'dc1', 'ready', '4.23.04.3']]);
    expect(await page.content()).not.toContain('browser-secret-91f2');
    await shot('ui.png');
  });

  it('the filter links show the failing jobs only, with no script', async () => {
    await page.goto(`${base}/ui/`);
    await page.click('#filters a:text-is("failing (1)")');
    expect(new URL(page.url()).search).toBe('?status=failing');
    expect((await jobRows()).map((r) => r[0])).toEqual(['inventory-sync']);
    expect(await page.textContent(`${row('inventory-sync')} .error-text`)).toBe(FAILURE);
    await shot('ui-failing.png');
  });

  it('the job pages of a copying, an incremental and a paused job', async () => {
    await page.goto(`${base}/ui/job/billing-migration`);
    expect(await page.title()).toBe('dtle-compat: job billing-migration');
    expect(await page.getAttribute('#job progress', 'value')).toBe('40000');
    expect(await page.textContent('#job .rows')).toBe('40,000 of 160,000 rows (25.0 %)');
    await shot('ui-copying.png');

    await page.goto(`${base}/ui/job/orders-sync`);
    expect(await page.getAttribute('#job .gtid', 'title')).toBe(consulText('dtle/orders-sync/Gtid'));
    expect(await page.textContent('#tasks li[data-task="Src"] .node')).toBe('on nomad0');
    await shot('ui-incremental.png');

    await page.goto(`${base}/ui/job/reports-archive`);
    expect(await page.textContent('#job .mark.paused')).toBe('paused');
    await shot('ui-paused.png');
  });

  it("the failing job's page: each allocation's task events as a timeline, the error in it, the 2.x job masked, the links", async () => {
    await page.goto(`${base}/ui/`);
    await page.click(`${row('inventory-sync')} td.id a`);
    expect(new URL(page.url()).pathname).toBe('/ui/job/inventory-sync');
    expect(await page.textContent('#tasks li[data-task="Dest"] .error-text')).toBe(FAILURE);
    const dest = await page.$$eval('section.alloc', (secs) =>
      secs
        .filter((s) => (s.querySelector('h3')?.textContent ?? '').startsWith('Dest'))
        .flatMap((s) => [...s.querySelectorAll('table.timeline tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim()).slice(1).join(' | '))),
    );
    expect(dest.slice(-3)).toEqual([
      'Started | Task started by client',
      `Terminated | Exit Code: 2, Exit Message: ${JSON.stringify(FAILURE)}`,
      'Not Restarting | Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"',
    ]);
    expect(await page.$$('tr.event-error')).toHaveLength(4);
    const json = JSON.parse((await page.textContent('#job-json')) ?? '') as { ID: string; Tasks: Array<{ Config: { ConnectionConfig: { Password: string } } }> };
    expect(json.ID).toBe('inventory-sync');
    expect(json.Tasks.map((t) => t.Config.ConnectionConfig.Password)).toEqual(['*', '*']);
    expect(await page.content()).not.toContain('browser-secret-91f2');
    await shot('ui-job-page.png');
    await page.click('a:text-is("allocations")');
    expect(new URL(page.url()).pathname).toBe('/v1/job/inventory-sync/allocations');
  });

  it('the links open the legacy JSON of that job and its page, even for an ID full of HTML', async () => {
    await page.goto(`${base}/ui/`);
    await page.click(`${row(EVIL_ID)} a:text-is("job")`);
    const detail = JSON.parse((await page.textContent('body')) ?? '') as { ID: string; Name: string; Tasks: Array<{ Config: { ConnectionConfig: { Password: string } } }> };
    expect(detail.ID).toBe(EVIL_ID);
    expect(detail.Name).toBe('<b>bold</b>');
    expect(detail.Tasks.map((t) => t.Config.ConnectionConfig.Password)).toEqual(['*', '*']);
    await page.goto(`${base}/ui/`);
    await page.click(`${row(EVIL_ID)} td.id a`);
    expect(await page.textContent('#job-id')).toBe(EVIL_ID);
    expect(await page.$$('img, b')).toHaveLength(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await page.goto(`${base}/ui/`);
    await page.click(`${row('orders-sync')} a:text-is("allocations")`);
    expect(new URL(page.url()).pathname).toBe('/v1/job/orders-sync/allocations');
    const allocs = JSON.parse((await page.textContent('body')) ?? '') as Array<{ Task: string; JobID: string }>;
    expect(allocs.map((a) => a.Task).sort()).toEqual(['Dest', 'Src']);
  });

  it('refreshes by itself: a job registered after the page loaded appears', async () => {
    await page.goto(`${base}/ui/?refresh=1`);
    expect(await page.$('tr[data-job="late-job"]')).toBeNull();
    expect(await legacy('POST', '/v1/jobs', job('late-job', 'late'))).toBe(200);
    await page.waitForSelector('tr[data-job="late-job"]', { timeout: 10_000 });
    expect((await jobRows()).map((r) => r[0])).toEqual(['inventory-sync', EVIL_ID, 'billing-migration', 'late-job', 'orders-sync', 'reports-archive']);
  });
});
