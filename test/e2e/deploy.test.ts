/**
 * deploy/dtle-compat.nomad.hcl passes `nomad job validate` of the pinned Nomad (the CLI validates
 * locally, then through the real agent's /v1/validate/job).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { nomadAddr, nomadBin } from './helpers';

const run = promisify(execFile);
const JOB_FILE = path.resolve(__dirname, '..', '..', 'deploy', 'dtle-compat.nomad.hcl');

describe('deploy/dtle-compat.nomad.hcl', () => {
  it('passes nomad job validate against the real agent', async () => {
    const { stdout, stderr } = await run(nomadBin(), ['job', 'validate', JOB_FILE], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NOMAD_ADDR: nomadAddr() },
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Job validation successful$/m);
  });

  it('a job file with an error fails it (the check is real)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dtle-compat-validate-'));
    try {
      const file = path.join(dir, 'broken.nomad.hcl');
      writeFileSync(file, 'job "broken" {\n  type = "bogus"\n  group "g" {\n    task "t" {\n      driver = "raw_exec"\n    }\n  }\n}\n');
      const failure = await run(nomadBin(), ['job', 'validate', file], { env: { PATH: process.env.PATH ?? '', NOMAD_ADDR: nomadAddr() } }).then(
        () => null,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(failure?.code).toBe(1);
      expect(`${failure?.stdout}${failure?.stderr}`).toMatch(/Invalid job type: "bogus"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
