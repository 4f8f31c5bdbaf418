// A run killed half-way, as runTransaction would have journalled it: for the recovery tests of the transaction layer.
import { planEnable } from '../../src/setup/plan';
import { enableSteps } from '../../src/setup/steps';
import { writeJournal, type Journal } from '../../src/transaction/journal';
import { checkRecord } from '../../src/transaction/registry';
import { toolUndoRegistry } from '../../src/transaction/tool-undo';
import type { FakeRun } from '../fakes/run';

export const journalOf = (entries: Journal['entries'], command = 'enable'): Journal => ({
  version: 1, command, pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running', entries,
});

/** What runTransaction journals, step by step, for an enable of 2001:db8:2::/48 until the process dies as `killAt` starts (after its prepare). */
export async function killedEnable(r: FakeRun, killAt: string): Promise<void> {
  const plan = planEnable(r.snap, { prefix: '2001:db8:2::/48', mode: 'auto', randomDraws: [Uint8Array.from([1, 2, 3, 4, 5])], sysctlConfPath: r.ctx.paths.sysctlConf });
  const steps = enableSteps(r.ctx, plan, r.snap, { registry: toolUndoRegistry(r.ctx) });
  const journal = journalOf([]);
  for (const step of steps) {
    const entry: Journal['entries'][number] = { stepId: step.id, describe: step.describe, state: 'applying' };
    journal.entries.push(entry);
    const pre = await step.prepare?.();
    if (pre) entry.record = checkRecord(pre, step.id);
    await writeJournal(r.ctx.paths.journalFile, journal);
    if (step.id === killAt) return; // SIGKILL here
    const rec = await step.apply(new AbortController().signal);
    if (rec) entry.record = checkRecord(rec, step.id);
    entry.state = 'applied';
    await writeJournal(r.ctx.paths.journalFile, journal);
  }
}
