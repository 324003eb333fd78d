import { appendFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** The password every test fixture carries; it must never appear in an answer or a log line. */
export const CANARY = 'CANARY-pw-7f3a';

/** Passwords that must never leave the service: the canary, and the one in the simulator's seeded jobs. */
export const CANARIES: readonly string[] = [CANARY, 'sim-password'];

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
export function scanCanaryDir(dir: string, canaries: readonly string[] = CANARIES): CanaryReport {
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
