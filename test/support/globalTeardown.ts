import { checkCanaryDir } from './canary';

/** Fails the run when a canary password reached any response body or log line of the suite. */
export default function globalTeardown(): void {
  const dir = process.env.DTLE_COMPAT_CANARY_DIR;
  if (!dir) return;
  const { files, bytes } = checkCanaryDir(dir);
  // (test/security/canary.test.ts proves the collection works; a run of pure unit tests collects nothing)
  process.stdout.write(`canary check: ${files} files, ${bytes} bytes of response bodies and logs, no password\n`);
}
