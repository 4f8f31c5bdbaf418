// The NAT66 source an enable uses (--nat-source, or the one an earlier enable saved): the host addresses that may be
// chosen, and the choice checked against them before anything changes (pure).
import { UsageError } from '../errors';
import type { HostSnapshot } from '../observe/snapshot';
import type { Mode } from '../model/state';
import { canonical6, classifyV6, contains, isGlobalV6, isIPv6Address, isUla, parseCidr6, type Cidr6 } from '../model/ip';

export interface NatSourceChoice { address: string; ifname: string; ula: boolean }

/** Address flags that make an address a poor source: it may go (temporary, deprecated) or is not usable yet or at all. */
const UNFIT = ['tentative', 'dadfailed', 'deprecated', 'secondary' /* IFA_F_TEMPORARY: a privacy address */];

function onDockerLink(snap: HostSnapshot, ifname: string): boolean {
  return snap.networks.some((n) => n.bridge === ifname) || /^(docker0|br-[0-9a-f]{12}|veth)/.test(ifname);
}

/**
 * The host's own addresses container egress may leave with: global scope (global unicast or ULA), on an interface
 * that is not Docker's, outside the prefix (those are the containers' and gateways'), and stable (no temporary,
 * deprecated, tentative or failed address: replies must find it for as long as the choice holds).
 */
export function natSourceChoices(snap: HostSnapshot, prefix?: Cidr6): NatSourceChoice[] {
  const out: NatSourceChoice[] = [];
  for (const a of snap.host.net?.addresses ?? []) {
    if (a.family !== 6 || a.scope !== 0 || onDockerLink(snap, a.ifname) || a.flags.some((f) => UNFIT.includes(f))) continue;
    const c = parseCidr6(`${a.address}/128`);
    if (!c || !(isGlobalV6(c) || isUla(c)) || (prefix && contains(prefix, c))) continue;
    if (!out.some((o) => o.address === canonical6(a.address))) out.push({ address: canonical6(a.address), ifname: a.ifname, ula: classifyV6(c) === 'ula' });
  }
  // the uplink's first: the usual choice
  return out.sort((x, y) => Number(y.ifname === snap.host.uplink) - Number(x.ifname === snap.host.uplink));
}

function listed(choices: readonly NatSourceChoice[]): string {
  return choices.length ? choices.map((c) => `${c.address} (${c.ifname}${c.ula ? ', ULA' : ''})`).join(', ') : 'none: the host has no global IPv6 address outside its Docker bridges';
}

/** Checks what --nat-source says before anything is observed: an IPv6 address, or `none`. */
export function checkNatSourceSyntax(input: string): void {
  if (input === 'none') return;
  if (!isIPv6Address(input)) throw new UsageError(`--nat-source ${input} is not an IPv6 address`, 'give one of the host\'s global IPv6 addresses (ip -6 addr show scope global), or none for the kernel\'s choice');
}

/**
 * The source enable records: the one given (checked against the host's addresses), none, or the saved one while it
 * is still the host's. It applies in nat mode only: giving one for another mode is refused, a saved one is dropped
 * with a note. Refusals list the addresses to choose from.
 */
export function chooseNatSource(snap: HostSnapshot, given: string | undefined, mode: Mode, prefix: Cidr6, notes: string[]): string | undefined {
  if (given === 'none') return undefined;
  const saved = snap.state?.natSource;
  if (given === undefined && !saved) return undefined;
  if (mode !== 'nat') {
    if (given !== undefined) throw new UsageError(`--nat-source works in nat mode only; this enable runs in ${mode} mode, where containers leave with their own addresses`, 'drop --nat-source, or pass --mode nat with a ULA prefix');
    notes.push(`the NAT66 source ${saved} saved by an earlier enable does not apply in ${mode} mode: it is dropped`);
    return undefined;
  }
  const want = canonical6(given ?? saved!);
  const choices = natSourceChoices(snap, prefix);
  if (choices.some((c) => c.address === want)) return want;
  const example = choices[0]?.address ?? 'ADDRESS';
  if (given === undefined) {
    throw new UsageError(`the NAT66 source ${want} saved by an earlier enable is no longer an address this host may leave with; choose from: ${listed(choices)}`,
      `pick another with docker ipv6 enable --nat-source ${example}, or let the kernel choose with --nat-source none; nothing was changed`);
  }
  throw new UsageError(`--nat-source ${given} is not one of this host's global IPv6 addresses; choose from: ${listed(choices)}`,
    `docker ipv6 enable --nat-source ${example} (or add the address to an interface first: ip -6 addr add ${given}/64 dev ${snap.host.uplink ?? 'IFACE'}); nothing was changed`);
}
