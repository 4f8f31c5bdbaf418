// Asks a person before a change (--yes answers for them; no terminal and no --yes is a usage error).
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors';
import type { RunContext } from './context';

export async function confirm(ctx: RunContext, question: string): Promise<void> {
  if (ctx.globals.yes) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} needs confirmation and there is no terminal to ask`, 'pass --yes to confirm');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (a !== 'y' && a !== 'yes') throw new UsageError('not confirmed: nothing was changed');
  } finally { rl.close(); }
}
