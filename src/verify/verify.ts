// `verify`: the proof engine (prove/) on one network, reported as a pass/fail table; exit 0 only if all pass.
import type { RunContext } from '../cli/context';
import { ExitCode } from '../errors';
import type { CheckRow } from '../prove/judge';
import { prove, type VerifyOptions } from '../prove/prove';
import { renderTable } from '../util/table';
import { escapeControls } from '../util/terminal';

export type { VerifyOptions } from '../prove/prove';

export function renderRows(rows: CheckRow[]): string {
  const table = renderTable(['CHECK', 'RESULT', 'DETAIL'], rows.map((r) => [r.title, r.status.toUpperCase(), r.detail]));
  const fixes = rows.filter((r) => r.status === 'fail' && r.fix).map((r) => `  ${r.id}: ${escapeControls(r.fix!)}`);
  return fixes.length ? `${table}\n\nto fix:\n${fixes.join('\n')}` : table;
}

export async function runVerify(ctx: RunContext, o: VerifyOptions): Promise<void> {
  const p = await prove(ctx, o);
  const only = p.ipv6Only ? ' (IPv6-only)' : '';
  if (ctx.globals.json) ctx.outJson({ ok: p.ok, network: p.network, ipv6Only: p.ipv6Only, temporary: p.temporary, target: p.target ?? null, mode: p.mode ?? null, checks: p.rows });
  else ctx.out(`verify on network ${p.network}${only}${p.temporary ? ' (temporary)' : ''}:\n${renderRows(p.rows)}\n${p.ok ? 'all checks passed' : 'some checks FAILED'}`);
  if (!p.ok) process.exitCode = ExitCode.failure;
}
