import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function globalSetup(): void {
  process.env.DTLE_COMPAT_CANARY_DIR = mkdtempSync(path.join(tmpdir(), 'dtle-compat-canary-'));
}
