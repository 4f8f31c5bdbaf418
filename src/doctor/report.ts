// Doctor output: findings grouped by layer for people (coloured only on a terminal without NO_COLOR), or JSON.
import { createColors } from 'picocolors';
import { escapeControls } from '../util/terminal';
import { summarize } from './checks';
import { LAYERS, type Finding, type Status } from './types';

export function useColor(env: NodeJS.ProcessEnv, stream: NodeJS.WritableStream): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return !!(stream as NodeJS.WriteStream).isTTY && env.TERM !== 'dumb';
}

const MARK: Record<Status, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderText(findings: readonly Finding[], opts: { color: boolean; verbose?: boolean }): string {
  const c = createColors(opts.color);
  const paint: Record<Status, (s: string) => string> = { ok: c.green, warn: c.yellow, fail: c.red, skip: c.dim };
  const lines: string[] = [];
  for (const layer of LAYERS) {
    const mine = findings.filter((f) => f.layer === layer);
    if (mine.length === 0) continue;
    lines.push(c.bold(layer));
    for (const f of mine) {
      // detail and fix carry names (networks, bridges, files): escaped before our own colours are added
      lines.push(`  ${paint[f.status](MARK[f.status])}  ${escapeControls(f.detail)} ${c.dim(`[${escapeControls(f.id)}]`)}`);
      if ((f.status === 'fail' || f.status === 'warn') && f.fix) lines.push(`        ${c.cyan('fix:')} ${escapeControls(f.fix)}${f.auto ? c.dim('  (doctor --fix applies this)') : ''}`);
    }
  }
  const n = summarize(findings);
  const verdict = n.fail ? c.red(`${n.fail} failed`) : c.green('nothing failed');
  lines.push('', `${verdict}, ${n.warn} warning(s), ${n.ok} ok, ${n.skip} skipped${n.fixable ? `; ${n.fixable} fixable with docker ipv6 doctor --fix` : ''}`);
  return `${lines.join('\n')}\n`;
}

export interface DoctorReport {
  ok: boolean;
  summary: ReturnType<typeof summarize>;
  findings: Finding[];
  fixed?: Array<{ id: string; subject?: string; how: string }>;
  fixErrors?: string[];
  before?: Finding[];
}

export function report(findings: Finding[], extra: Partial<DoctorReport> = {}): DoctorReport {
  return { ok: !findings.some((f) => f.status === 'fail'), summary: summarize(findings), findings, ...extra };
}
