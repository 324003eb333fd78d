import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const CANARY = 'CANARY-pw-7f3a';

/** Fails the run when the canary password reached any response body or log line of the suite. */
export default function globalTeardown(): void {
  const dir = process.env.DTLE_COMPAT_CANARY_DIR;
  if (!dir) return;
  const files = readdirSync(dir);
  const leaks: string[] = [];
  let bytes = 0;
  for (const f of files) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    bytes += text.length;
    text.split('\n').forEach((line, i) => {
      if (line.includes(CANARY)) leaks.push(`${f}:${i + 1}: ${line.slice(0, 200)}`);
    });
  }
  rmSync(dir, { recursive: true, force: true });
  if (leaks.length > 0) {
    throw new Error(`the canary password leaked into ${leaks.length} response bodies or log lines:\n${leaks.slice(0, 10).join('\n')}`);
  }
  process.stdout.write(`canary check: ${files.length} files, ${bytes} bytes of response bodies and logs, no password\n`);
}
