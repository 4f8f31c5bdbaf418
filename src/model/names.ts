// Names and marks of the host objects this tool owns (never DOCKER*: those chains belong to dockerd), and
// the rules a name from outside must meet before it reaches a command line or a rule.
import { UsageError } from '../errors';

/** nat table: our masquerade chain, jumped to from POSTROUTING. */
export const NAT_CHAIN = 'D6-NAT';
/** filter table: our forwarding filter chain, jumped to from FORWARD. */
export const FORWARD_CHAIN = 'D6-FORWARD';
/**
 * filter table: what may reach a container of a listed (not internal) network from outside its bridge:
 * replies, the ICMPv6 transit set, published ports. D6-FORWARD jumps to it per bridge and drops right after.
 */
export const INBOUND_CHAIN = 'D6-INBOUND';
/**
 * filter table: the admin's chain, evaluated first inside D6-FORWARD (as Docker's DOCKER-USER). We create it
 * when it is missing and never flush, edit or reorder it; disable removes it only when it is empty.
 */
export const USER_CHAIN = 'D6-USER';
/** Every rule we write carries this comment; cleanup and checks find our rules by it. */
export const COMMENT_TAG = 'docker-ipv6';
/**
 * The originator (NDA_PROTOCOL) set on every NDP proxy entry we add: 0xd6, as in our chains' names
 * (`ip -6 neigh show proxy` prints `proto 214`). The kernel keeps it with the entry, so an entry is known
 * to be ours even when a crash came between adding it and recording it in the state file.
 */
export const PROXY_PROTOCOL = 214;

/** Our systemd units: the only ones the tool ever enables, starts, stops or writes (systemd/ in the source tree). */
export const BOOT_UNIT = 'docker-ipv6-boot.service';
export const APPLY_UNIT = 'docker-ipv6-apply.service';
export const AGENT_UNIT = 'docker-ipv6-agent.service';
export const OUR_UNITS: readonly string[] = [BOOT_UNIT, APPLY_UNIT, AGENT_UNIT];

/**
 * Why an interface name from outside (Docker's bridge.name option, the state) must not reach a rule or a
 * command line, or undefined when it may. The kernel takes 1-15 bytes without '/', ':' or whitespace; we
 * also refuse what ip6tables reads as something else ('+' is its wildcard, '!' a negation), quotes and
 * anything else that would break an ip6tables-restore batch, and a leading '-' (an option to a command).
 */
export function ifNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (Buffer.byteLength(name) > 15) return 'the name is longer than 15 bytes (the kernel limit)';
  if (name === '.' || name === '..') return 'the name is "." or ".."';
  if (name.startsWith('-')) return 'the name starts with "-" (it would read as an option)';
  const bad = [...name].find((ch) => !/[A-Za-z0-9_.@-]/.test(ch));
  if (bad === '+') return 'the name holds "+", which ip6tables reads as a wildcard (it would match other interfaces)';
  if (bad === '!') return 'the name holds "!", which ip6tables reads as a negation';
  if (bad === '*') return 'the name holds "*", which nftables reads as a wildcard (it would match other interfaces)';
  if (bad !== undefined) return `the name holds ${JSON.stringify(bad)}, which cannot be written safely into an ip6tables rule`;
  return undefined;
}

/** Linux interface names: 1-15 bytes, no '/', whitespace or ':'; never starting with '-'. */
export function validateIfName(name: string): string {
  const problem = ifNameProblem(name);
  if (problem) {
    throw new UsageError(`invalid interface name ${JSON.stringify(name)}: ${problem}`, 'list interfaces with: ip -br link');
  }
  return name;
}
