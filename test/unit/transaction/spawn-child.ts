// Test helpers to start child-transaction.ts in its own process and wait for what it writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CHILD = join(__dirname, 'child-transaction.ts');

export interface Child {
  proc: ChildProcess;
  stderr: () => string;
  /** Settles on 'exit', and on 'error' too (a child that never started has no exit: awaiting it hung the worker). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** Set once it exited or failed to start. */
  ended?: { code: number | null; signal: NodeJS.Signals | null; error?: Error };
}

export function child(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: join(__dirname, '../../..'), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const c: Child = { proc, stderr: () => err, exited: undefined as never };
  c.exited = new Promise((res) => {
    proc.on('exit', (code, signal) => res((c.ended ??= { code, signal })));
    proc.on('error', (error) => res((c.ended ??= { code: null, signal: null, error })));
  });
  return c;
}

/**
 * Polls cond. With a child: fails at once when it ended first, and SIGKILLs it on giving up, so a failed wait leaves
 * no process behind that keeps the worker alive. 45 s: a child's tsx start-up takes seconds on a loaded 2-core machine.
 */
export async function until(what: string, cond: () => boolean, c?: Child, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (c?.ended) throw new Error(`the child ended (${JSON.stringify({ ...c.ended, error: c.ended.error?.message })}) before ${what}; its stderr:\n${c.stderr()}`);
    if (Date.now() > end) {
      c?.proc.kill('SIGKILL');
      throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${c ? `; the child was killed; its stderr:\n${c.stderr()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
