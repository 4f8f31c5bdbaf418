// `status` and `doctor` over several hosts: each host read as the single-host command reads it (its own endpoint, its
// facts from here or from the probe on that host), shown as one table (--details: each host's full output after it).
import type { RunContext } from '../cli/context';
import { ExitCode } from '../errors';
import { observeHost, type HostSnapshot } from '../observe/snapshot';
import { agentView, statusJson, statusText, type AgentView } from '../status/status';
import { collect, DOCTOR_EXIT, type DoctorOptions } from '../doctor/doctor';
import { renderText, report, useColor, type DoctorReport } from '../doctor/report';
import { fleetTable, fleetTargets, readFleet, worstExit, type HostRow } from './fleet';

export interface FleetOptions { all: boolean; details: boolean }

interface HostStatus { snap: HostSnapshot; agent: AgentView }

const FACTS: Record<string, string> = { local: 'this machine', probe: 'probe', unknown: 'unknown' };

/** The columns both read-outs share: what Docker runs, where our rules live, how the host is set up, the agent. */
function hostCells(h: HostStatus): string[] {
  const { snap, agent } = h;
  const d = snap.daemon;
  const unknown = snap.hostSource?.kind === 'unknown';
  const backend = d.firewallDriver || (unknown ? '?' : snap.firewall.docker?.backend ?? '-');
  const st = snap.state;
  const mode = unknown ? '?' : st?.enabled ? st.mode ?? '-' : 'not enabled';
  const prefix = unknown ? '?' : st?.prefix ?? '-';
  const ag = agent.unknown ? '?' : agent.running ? (agent.status?.container ? 'running (container)' : 'running') : 'not running';
  return [d.reachable ? d.version ?? '?' : 'unreachable', backend, mode, prefix, ag, FACTS[snap.hostSource?.kind ?? 'local']];
}

function note(h: HostStatus): string {
  if (!h.snap.daemon.reachable) return h.snap.daemon.error ?? 'Docker does not answer';
  const src = h.snap.hostSource;
  return src?.kind === 'unknown' ? `host facts unknown: ${src.detail}${src.hint ? ` (${src.hint})` : ''}` : '';
}

const HEAD = ['HOST', 'DOCKER', 'FIREWALL', 'MODE', 'PREFIX', 'AGENT', 'FACTS'];

async function readStatus(h: RunContext): Promise<{ value: HostStatus; exitCode: number }> {
  const snap = await observeHost(h, { dockerdProcess: false });
  const agent = await agentView(h, snap);
  return { value: { snap, agent }, exitCode: snap.daemon.reachable ? 0 : ExitCode.precondition };
}

export async function runFleetStatus(ctx: RunContext, o: FleetOptions): Promise<number> {
  const rows = await readFleet(ctx, fleetTargets(ctx, o.all), readStatus);
  const code = worstExit(rows);
  if (ctx.globals.json) {
    ctx.outJson({ exitCode: code, hosts: rows.map((r) => ({ name: r.name, endpoint: r.endpoint ?? null, exitCode: r.exitCode, error: r.error ?? null, status: r.value ? statusJson(r.value.snap, r.value.agent) : null })) });
    return code;
  }
  ctx.stdout.write(fleetTable(rows, [...HEAD, 'NOTE'], (v) => [...hostCells(v), note(v)]));
  if (o.details) for (const r of rows) if (r.value) ctx.out(`\n== ${r.name}\n${statusText(r.value.snap, r.value.agent).trimEnd()}`);
  return code;
}

interface HostDoctor extends HostStatus { report: DoctorReport }

export async function runFleetDoctor(ctx: RunContext, o: FleetOptions & Pick<DoctorOptions, 'compose'>): Promise<number> {
  const rows: Array<HostRow<HostDoctor>> = await readFleet(ctx, fleetTargets(ctx, o.all), async (h) => {
    const { snap, findings } = await collect(h, { compose: o.compose });
    const rep = report(findings);
    return { value: { snap, agent: await agentView(h, snap), report: rep }, exitCode: rep.ok ? DOCTOR_EXIT.ok : DOCTOR_EXIT.failed };
  });
  // a host doctor could not read at all is "doctor could not run" there (2), as on a single host
  for (const r of rows) if (r.error) r.exitCode = DOCTOR_EXIT.broken;
  const code = worstExit(rows);
  if (ctx.globals.json) {
    ctx.outJson({ exitCode: code, hosts: rows.map((r) => ({ name: r.name, endpoint: r.endpoint ?? null, exitCode: r.exitCode, error: r.error ?? null, doctor: r.value?.report ?? null, hostFacts: r.value?.snap.hostSource ?? (r.value ? { kind: 'local' } : null) })) });
    return code;
  }
  ctx.stdout.write(fleetTable(rows, [...HEAD, 'FAIL', 'WARN', 'OK', 'NOTE'], (v) => {
    const n = v.report.summary;
    const fails = v.report.findings.filter((f) => f.status === 'fail').map((f) => f.id);
    return [...hostCells(v), String(n.fail), String(n.warn), String(n.ok), fails.length ? `failed: ${[...new Set(fails)].join(', ')}` : note(v)];
  }));
  if (o.details) {
    for (const r of rows) if (r.value) ctx.out(`\n== ${r.name}\n${renderText(r.value.report.findings, { color: useColor(ctx.env, ctx.stdout) }).trimEnd()}`);
  }
  return code;
}
