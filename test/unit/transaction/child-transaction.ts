// A separate process for the journal tests: runs a transaction (or a recovery) that the test kills or interrupts.
// Usage: node --import tsx child-transaction.ts run|run-once|sigint|recover|lock DIR [HANG_ON] (run-once: journalOnce)
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTransaction, type Step } from '../../../src/transaction/transaction';
import { recoverJournal } from '../../../src/transaction/recover';
import { acquireLock } from '../../../src/transaction/lock';
import { isToolError } from '../../../src/errors';
import { fileLogRegistry, writeFileStep } from './fakes';

async function main(): Promise<void> {
  const [mode, dir, hangOn] = process.argv.slice(2);
  const journalPath = join(dir, 'journal.json');
  const log = (l: string) => process.stderr.write(`${l}\n`);
  if (mode === 'lock') {
    await acquireLock(join(dir, 'lock'), { command: 'apply' });
    writeFileSync(join(dir, 'locked'), String(process.pid));
    setInterval(() => {}, 1000);
    return;
  }
  if (mode === 'recover') {
    await recoverJournal(journalPath, fileLogRegistry(dir, hangOn), log);
    return;
  }
  const hang: Step = {
    id: 'hang', describe: 'wait (for SIGKILL or Ctrl-C)',
    apply: (signal) => new Promise((resolve) => {
      writeFileSync(join(dir, 'step-hanging'), String(process.pid));
      const timer = setInterval(() => { if (signal.aborted) { clearInterval(timer); resolve(); } }, 10);
    }),
  };
  const steps = [writeFileStep(join(dir, 'a.conf'), 'A1\n'), writeFileStep(join(dir, 'b.conf'), 'B1\n'), hang];
  const registry = fileLogRegistry(dir);
  if (mode === 'sigint') {
    // the undo of b waits for the test to say go, so a second Ctrl-C lands during the rollback
    const inner = registry.undo.bind(registry);
    registry.undo = async (r) => {
      if (String(r.path).endsWith('b.conf')) {
        writeFileSync(join(dir, 'undo-hanging'), '');
        while (!existsSync(join(dir, 'continue'))) await new Promise((res) => setTimeout(res, 10));
      }
      await inner(r);
    };
  }
  try {
    await runTransaction(steps, { journalPath, registry, log, command: 'enable', journalOnce: mode === 'run-once' });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = isToolError(e) ? e.exitCode : 1;
  }
}

void main();
