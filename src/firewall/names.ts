// Names of the firewall objects this tool owns. Never DOCKER*: those chains belong to dockerd.

/** nat table: our masquerade chain, jumped to from POSTROUTING. */
export const NAT_CHAIN = 'D6-NAT';
/** filter table: our forwarding filter chain, jumped to from FORWARD. */
export const FORWARD_CHAIN = 'D6-FORWARD';
/** Every rule we write carries this comment; cleanup and checks find our rules by it. */
export const COMMENT_TAG = 'docker-ipv6';
