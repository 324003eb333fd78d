#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config';
import { startService, type RunningService } from './index';

const HELP = `dtle-compat: the dtle 2.x HTTP API in front of Nomad 1.x + the dtle plugin

Usage: dtle-compat [options]

Options:
  --config FILE        JSON config file (on top of config/default.json; environment wins over it)
  --log-format FORMAT  json (default) or text
  --check              validate the config, try api_addr, reach Nomad, print what was found,
                       exit 0 if usable
  --demo               run against a built-in simulated Nomad and Consul with sample dtle jobs
                       replicating (one copying, then incremental)
  --version            print the version
  --help               this text

Environment: DTLE_API_ADDR, NOMAD_ADDR, NOMAD_TOKEN, NOMAD_REGION, NOMAD_NAMESPACE, NOMAD_CACERT,
NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY, NOMAD_SKIP_VERIFY, NOMAD_TLS_SERVER_NAME, and DTLE_COMPAT_<KEY>
for any config key. See docs/operations.md.

Serves on api_addr: the dtle 2.x API under /v1, the operator page /ui/, /-/healthy, /-/ready,
/metrics.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'log-format': { type: 'string' },
        check: { type: 'boolean' },
        demo: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (v.version) {
    process.stdout.write(`dtle-compat ${version()}\n`);
    return 0;
  }
  const logFormat = v['log-format'];
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'text') {
    process.stderr.write(`--log-format must be json or text, not "${logFormat}"\n`);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig({ ...(v.config ? { file: v.config } : {}), overrides: logFormat ? { log_format: logFormat } : {} });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`dtle-compat: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const stopSim: Array<() => Promise<void>> = [];
  if (v.demo) {
    const { startDemoNomad } = await import('./demo');
    const demo = await startDemoNomad();
    stopSim.push(() => demo.close());
    config = { ...config, nomad_addr: demo.nomad.url, nomad_token: '', consul: demo.consul.addr, consul_token: '' };
    process.stderr.write(`demo: simulated Nomad at ${demo.nomad.url}, Consul at ${demo.consul.url}\n`);
  }

  if (v.check) {
    const { runCheck } = await import('./check');
    const ok = await runCheck(config, (line) => process.stdout.write(line + '\n'));
    for (const stop of stopSim) await stop();
    return ok ? 0 : 1;
  }

  let service: RunningService;
  try {
    service = await startService({ config, logFormat: config.log_format });
  } catch (e) {
    process.stderr.write(`dtle-compat: cannot start: ${(e as Error).message}\n`);
    for (const stop of stopSim) await stop();
    return 1;
  }
  if (v.demo) process.stderr.write(`demo: try  curl -s ${service.url.replace('0.0.0.0', '127.0.0.1')}/v1/jobs\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      service.logger.info('shutting down', { signal });
      void service.shutdown().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  for (const s of stopSim) await s();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dtle-compat: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
