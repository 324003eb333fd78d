/**
 * A dtle task that failed with a given text, on the simulator: the task events the real dtle driver
 * gives a task that cannot reach its MySQL (test/fixtures/dtle/4.23.04.3/job-allocations-flapping.json:
 * Terminated with exit code 2 and the error, Restarting, and once the restart policy's attempts are
 * spent, Not Restarting), reported by the client for the group's allocations, which then wait to
 * restart or have failed. For the error texts the simulator cannot make (HTML in them) and for a
 * restart history without waiting out Nomad's restart delays; `new SimNomad({ databases: {
 * 'host:3306': 'refused' } })` makes the real sequence by itself.
 */
import { taskEvent, type SimNomad } from '@dtle-compat/sim';

type SimTaskState = Parameters<SimNomad['state']['clientUpdate']>[1][string];
type SimTaskEvent = NonNullable<SimTaskState['Events']>[number];

/** The group's tasks of the job exit with `message` (restarts times), then wait to restart, or have failed for good. */
export function failTasks(sim: SimNomad, jobId: string, group: string, message: string, end: 'restarting' | 'failed', restarts = 2): void {
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const events: SimTaskEvent[] = [];
  for (let i = 0; i <= restarts; i++) {
    const t = t0 + BigInt(i) * 17_000_000_000n;
    if (i > 0) events.push(taskEvent('Started', t, { DisplayMessage: 'Task started by client' }));
    events.push(taskEvent('Terminated', t + 25_000_000n, { ExitCode: 2, Message: message, DisplayMessage: `Exit Code: 2, Exit Message: ${JSON.stringify(message)}` }));
    if (i < restarts || end === 'restarting') {
      events.push(taskEvent('Restarting', t + 26_000_000n, { RestartReason: 'Restart within policy', StartDelay: 16_674_851_963, DisplayMessage: 'Task restarting in 16.674851963s' }));
    }
  }
  if (end === 'failed') {
    const reason = 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"';
    events.push(taskEvent('Not Restarting', t0 + BigInt(restarts + 1) * 17_000_000_000n, { FailsTask: true, RestartReason: reason, DisplayMessage: reason }));
  }
  for (const rec of [...sim.state.allocs.values()]) {
    const a = rec.alloc;
    if (a.JobID !== jobId || a.TaskGroup !== group) continue;
    const states: Record<string, SimTaskState> = {};
    for (const [name, st] of Object.entries(a.TaskStates ?? {})) {
      states[name] = { ...st, State: end === 'failed' ? 'dead' : 'pending', Failed: end === 'failed', Events: [...(st.Events ?? []), ...events].slice(-10) };
    }
    sim.state.clientUpdate(a.ID, states, null);
  }
}
