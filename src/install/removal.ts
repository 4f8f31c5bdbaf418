// Whether removing docker-ipv6 would leave the host worse than it says: the reasons the deb's prerm refuses (pure).
import type { ToolState } from '../model/state';

export interface RemovalRefusal { why: string; first: string }

/**
 * Why docker-ipv6 must not go now, and what to run first; undefined when nothing depends on it. The same three
 * reasons as scripts/deb/prerm: an interrupted run (only the tool can finish or undo it), our filter guarding the
 * containers (routed, ndp, npt: the boot unit closes them before dockerd turns forwarding on), and a chosen NAT66
 * source (our SNAT rule, which the agent keeps for every network: it would stay in the kernel, unmaintained).
 */
export function removalRefusal(state: Pick<ToolState, 'mode' | 'natSource' | 'enabled'> | undefined, journal: boolean, p: { stateFile: string; journalFile: string }): RemovalRefusal | undefined {
  if (journal) return { why: `an interrupted docker ipv6 run left ${p.journalFile}; without docker-ipv6 nothing can finish or undo it`, first: 'docker ipv6 recover' };
  if (state?.enabled?.filterByUs) {
    return { why: `IPv6 is enabled in ${state.mode ?? 'routed or ndp'} mode (${p.stateFile}), and docker-ipv6-boot.service is what keeps container ports closed after a reboot: without it the next boot opens them to the upstream`, first: 'docker ipv6 disable' };
  }
  if (state?.enabled && state.natSource) {
    return { why: `IPv6 is enabled in nat mode with the chosen source ${state.natSource} (--nat-source): that is docker-ipv6's own SNAT rule, which its agent keeps for every network; without docker-ipv6 the rule stays behind unmaintained until the next reboot, and nothing is left to remove it`, first: 'docker ipv6 disable' };
  }
  return undefined;
}
