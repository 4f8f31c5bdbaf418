// What keeps our rules in step with Docker after enable (pure): the agent running where the mode needs it, and our
// filter, NAT, routes and sysctls as a reconcile pass would make them now (the reconcile engine's own diff).
import { dockerView, vetBridges } from '../model/docker';
import { AGENT_UNIT } from '../model/names';
import { driftOf } from '../reconcile/drift';
import { describeChange } from '../reconcile/index';
import { agentNeeded } from '../model/state';
import { finding, ok } from './derive';
import type { Check, DoctorInput } from './types';

const L = 'firewall' as const;

/** The agent runs: its own status file says so (a process we can see), or systemd has its unit active. */
export function agentRuns(i: DoctorInput): boolean {
  return !!i.extra.agent?.running || !!i.extra.services?.units.find((u) => u.name === AGENT_UNIT)?.active;
}

/** How to get the agent running here: systemd's unit where there is one, else in the background by hand. */
export function agentFix(i: DoctorInput): string {
  const sd = i.extra.services;
  if (sd?.systemd) {
    return sd.units.find((u) => u.name === AGENT_UNIT)?.path ? `systemctl enable --now ${AGENT_UNIT}` : 'docker ipv6 enable (puts the agent and the boot unit in place, enables and starts them)';
  }
  return i.extra.agentCommand ?? 'docker ipv6 agent &';
}

export const agentRunning: Check = (i) => {
  const st = i.snap.state;
  if (!st || !i.snap.endpoint.local || !agentNeeded(st)) return [];
  if (agentRuns(i)) return [ok('firewall.agent', L, `the docker-ipv6 agent runs (${i.extra.agent?.running ? `pid ${i.extra.agent.pid}` : AGENT_UNIT}): our rules follow Docker's events`)];
  const what = st.mode === 'ndp' ? 'containers started from now on get no NDP proxy entry, so the outside cannot reach them,'
    : st.enabled?.filterByUs ? 'ports published and networks created from now on stay closed from outside'
      : 'networks created from now on get no masquerade';
  const where = i.extra.services?.systemd ? '' : ' No systemd runs this host\'s services: start the agent by hand, and again after each reboot.';
  return [finding('firewall.agent', L, 'fail', `the docker-ipv6 agent is not running (${st.mode} mode): ${what} until docker ipv6 apply runs.${where}`, agentFix(i))];
};

export const inStep: Check = (i) => {
  const { snap } = i;
  if (!snap.state?.enabled || !snap.daemon.reachable || !snap.host.net || !snap.firewall.available || snap.firewall.error) return [];
  // the filter's own view: networks vetted against the links as a pass vets them (a host bridge is left out)
  const drift = driftOf({
    docker: vetBridges(dockerView(snap.networks, snap.containers), snap.host.net, snap.state.uplink), tables: snap.firewall.tables, links: snap.host.net.links, addresses: snap.host.net.addresses,
    routes: snap.host.net.routes.filter((r) => r.family === 6), proxies: snap.host.net.proxies, sysctls: snap.host.sysctls, state: snap.state,
  });
  if (!drift) return [];
  // proxy entries are outside.ndp-proxy's to report (with their own fix)
  const changes = drift.changes.filter((c) => c.kind !== 'proxy');
  if (!changes.length) return [ok('firewall.in-step', L, 'our rules match Docker\'s networks and published ports (a reconcile pass would change nothing)')];
  const ports = drift.missingPorts.map((m) => `${m.container} ${m.ports.join(', ')}`);
  const why = ports.length ? `published port(s) missing from our filter, closed from outside: ${ports.join('; ')}` : 'our rules differ from what Docker runs now';
  const keep = agentRuns(i) ? '' : '; the agent keeps them in step from now on (see firewall.agent)';
  return [finding('firewall.in-step', L, 'fail', `${why} (${changes.map(describeChange).join('; ')})${keep}`, 'docker ipv6 apply', { kind: 'apply' })];
};

export const KEEP_CHECKS: Check[] = [agentRunning, inStep];
