// Names and marks of the host objects this tool owns (never DOCKER*: those chains belong to dockerd), and
// the rules a name from outside must meet before it reaches a command line or a rule.
import { UsageError } from '../errors';

/** nat table: our masquerade chain, jumped to from POSTROUTING. */
export const NAT_CHAIN = 'D6-NAT';
/** filter table: our forwarding filter chain, jumped to from FORWARD. */
export const FORWARD_CHAIN = 'D6-FORWARD';
/** Every rule we write carries this comment; cleanup and checks find our rules by it. */
export const COMMENT_TAG = 'docker-ipv6';
/**
 * The originator (NDA_PROTOCOL) set on every NDP proxy entry we add: 0xd6, as in our chains' names
 * (`ip -6 neigh show proxy` prints `proto 214`). The kernel keeps it with the entry, so an entry is known
 * to be ours even when a crash came between adding it and recording it in the state file.
 */
export const PROXY_PROTOCOL = 214;

/** Linux interface names: 1-15 bytes, no '/', whitespace or ':'; never starting with '-'. */
export function validateIfName(name: string): string {
  if (!/^[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,14}$/.test(name) || name === '.' || name === '..') {
    throw new UsageError(`invalid interface name "${name}"`, 'list interfaces with: ip -br link');
  }
  return name;
}
