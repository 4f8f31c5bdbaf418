// Shared by the doctor lab tests: run doctor --json in a lab, and assert on its findings.
import type { ExecutionContext } from 'ava';
import type { Lab } from '../helpers/lab';
import type { Finding } from '../../src/doctor/types';

export interface Report { ok: boolean; findings: Finding[]; fixed?: Array<{ id: string }>; fixErrors?: string[] }

export async function runDoctor(lab: Lab, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await lab.exec(['doctor', '--json', ...args], opts);
  let report: Report;
  try { report = JSON.parse(r.stdout) as Report; } catch { throw new Error(`doctor ${args.join(' ')} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`); }
  return { code: r.code, report, stderr: r.stderr };
}

export const problems = (r: Report) => r.findings.filter((f) => f.status === 'fail' || f.status === 'warn');
export const ids = (r: Report) => [...new Set(problems(r).map((f) => f.id))].sort();

/** The finding `id` with status `want` (and detail matching), which must name a fix. */
export function has(t: ExecutionContext, r: Report, id: string, want: 'fail' | 'warn', detail?: RegExp): Finding {
  const f = r.findings.find((x) => x.id === id && x.status === want && (!detail || detail.test(x.detail)));
  t.truthy(f, `${id} should be ${want}${detail ? ` matching ${detail}` : ''}; it is: ${JSON.stringify(r.findings.filter((x) => x.id === id))}; problems: ${problems(r).map((x) => `${x.id}: ${x.detail}`).join('\n')}`);
  t.truthy(f?.fix, `${id} names a fix`);
  return f!;
}

/** A command in the lab's host namespace that must succeed; its trimmed stdout. */
export async function sh(lab: Lab, argv: string[]): Promise<string> {
  const r = await lab.host(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The lab's docker CLI, which must succeed; its trimmed stdout. */
export async function docker(lab: Lab, args: string[]): Promise<string> {
  const r = await lab.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}
