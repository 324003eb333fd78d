/**
 * dtle's versions (`driver.dtle.version` of a node, e.g. "4.23.04.3") and what each release
 * brought that dtle-compat depends on, as read in dtle's source (driver/common/store.go,
 * driver/driver.go, api/handler/v2). Pure functions.
 */

/** The numbers of a dtle version ("v4.22.07.2" → [4, 22, 7, 2]), or null when it is none. Development builds report 9.9.9.9. */
export function parseDtleVersion(version: string): number[] | null {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(version.trim());
  if (!m) return null;
  return (m[1] as string).split('.').map(Number);
}

/** Whether a version is `since` or later (missing parts count as 0). Unparseable versions are not. */
export function versionAtLeast(version: string, since: readonly number[]): boolean {
  const v = parseDtleVersion(version);
  if (v === null) return false;
  for (let i = 0; i < Math.max(v.length, since.length); i++) {
    const a = v[i] ?? 0;
    const b = since[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The first dtle release with each feature. */
export const DTLE_SINCE = {
  /** all task config on the src task (SrcConnectionConfig, DestConnectionConfig, DestType on dest) */
  srcOnlyConfig: [4, 22, 11],
  /** pause/resume as alloc signals, the pause flag in dtleJobList/<job> (api/handler/v2 PauseJobV2) */
  pauseSignal: [4, 22, 7],
  /** dtle/<job>/JobStage and dtle/<job>/DumpProgress */
  jobStageKey: [4, 22, 11, 4],
  /** dtle/<job>/Config, written by the src task */
  configKey: [4, 23, 4],
} as const satisfies Record<string, readonly number[]>;
