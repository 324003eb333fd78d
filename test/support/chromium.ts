/** Debian's chromium for the browser tests: CHROMIUM_PATH, else `chromium` / `chromium-browser` on PATH; null when none. */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export function findChromium(): string | null {
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
