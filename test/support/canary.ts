import { appendFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The password every test fixture carries; it must never appear in an answer or a log line. */
export const CANARY = 'CANARY-pw-7f3a';

/** Passwords that must never leave the service: the canary, and the one in the simulator's seeded jobs. */
export const CANARIES: readonly string[] = [CANARY, 'sim-password'];

/**
 * A password as it shows inside base64 (Consul's KV values are base64: a raw Consul entry passed on
 * would carry dtle/<job>/Config's passwords so): the part of its encoding that is the same whatever
 * bytes come before and after, for each of the three alignments.
 */
export function base64Forms(secret: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.from('\0'.repeat(k) + secret, 'utf8').toString('base64');
    const start = k === 0 ? 0 : 4;
    const whole = Math.floor((k + Buffer.byteLength(secret)) / 3) * 4;
    if (whole - start >= 8) out.push(encoded.slice(start, whole));
  }
  return out;
}

/** Every form of the canaries a scan looks for: as they are, and inside base64. */
export const CANARY_FORMS: readonly string[] = CANARIES.flatMap((c) => [c, ...base64Forms(c)]);

/** The directory test/support/globalSetup.ts made for this run ('' outside jest). */
export function canaryDir(): string {
  return process.env.DTLE_COMPAT_CANARY_DIR ?? '';
}

/** Adds text (response bodies, log lines) to what globalTeardown scans. */
export function collect(kind: 'logs' | 'bodies', text: string | Buffer): void {
  const dir = canaryDir();
  if (!dir) return;
  appendFileSync(path.join(dir, `${kind}-${process.pid}.txt`), Buffer.isBuffer(text) ? Buffer.concat([text, Buffer.from('\n')]) : text + '\n');
}

export interface CanaryReport {
  files: number;
  bytes: number;
  leaks: string[];
}

/** Scans every file of a collection directory for any of the canaries. */
export function scanCanaryDir(dir: string, canaries: readonly string[] = CANARY_FORMS): CanaryReport {
  const files = readdirSync(dir);
  const leaks: string[] = [];
  let bytes = 0;
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    bytes += text.length;
    text.split('\n').forEach((line, i) => {
      for (const c of canaries) if (line.includes(c)) leaks.push(`${f}:${i + 1}: ${line.slice(0, 200)}`);
    });
  }
  return { files: files.length, bytes, leaks };
}

/** Scans and removes the directory; throws, failing the jest run, when a canary leaked. */
export function checkCanaryDir(dir: string): CanaryReport {
  const report = scanCanaryDir(dir);
  rmSync(dir, { recursive: true, force: true });
  if (report.leaks.length > 0) {
    throw new Error(
      `a canary password leaked into ${report.leaks.length} response bodies or log lines:\n${report.leaks.slice(0, 10).join('\n')}`,
    );
  }
  return report;
}
