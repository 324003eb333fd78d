/** src/legacy/validation.ts against what the real 2.x server answered (test/fixtures/legacy-2x). */
import { readdirSync } from 'node:fs';
import { emptyTaskValidation, TASK_CHECKS } from '../../src/legacy/validation';
import { FIXTURE_DIR, loadAnswered, loadCapture, ValidateAnswer } from '../support/fixtures2x';

const VALIDATE_OK = readdirSync(FIXTURE_DIR)
  .filter((f) => f.startsWith('validate-') && f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .filter((name) => {
    const c = loadCapture(name);
    return c.status === 200;
  });

describe('2.x JobValidateResponse', () => {
  it('has captures to compare with', () => {
    expect(VALIDATE_OK.length).toBeGreaterThanOrEqual(15);
  });

  it.each(VALIDATE_OK)('%s: every task result has exactly Type and the checks of TASK_CHECKS', (name) => {
    const answer = ValidateAnswer.parse(JSON.parse(loadAnswered(name).body));
    expect(answer.DriverConfigValidated).toBe(true);
    expect(answer.Error).toBe('');
    for (const task of answer.ValidationTasks ?? []) {
      expect(Object.keys(task).sort()).toEqual(['Type', ...TASK_CHECKS].sort());
      // never set by 2.x
      expect(task.LogSlaveUpdates).toEqual({ Success: false, Error: '' });
      expect(task.MaxAllowedPacket).toEqual({ Success: false, Error: '' });
    }
  });

  it("emptyTaskValidation is 2.x's result for a Kafka task", () => {
    const answer = ValidateAnswer.parse(JSON.parse(loadAnswered('validate-mariadb-kafka-dest').body));
    expect(answer.ValidationTasks?.[1]).toEqual(emptyTaskValidation('Dest'));
  });
});
