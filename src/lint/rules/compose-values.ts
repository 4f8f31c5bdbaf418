// Compose rules on values: static addresses against their network's subnets, and values left unresolved by interpolation.
import type { DocRule, RawFinding, RuleMeta } from '../types';
import { composeModel, subnetFamily } from '../compose-model';
import { parseAddress, parseCidr, containsAddress, formatCidr } from '../../model/ip';
import { nodeAt, spanOf, docStart } from '../source';

export const composeValueRules: RuleMeta[] = [
  { id: 'compose/ipv6-address-outside-subnet', severity: 'error', summary: "a service's ipv6_address/ipv4_address outside its network's subnets of that family" },
  { id: 'compose/interpolation-unresolved', severity: 'info', summary: 'a value depends on a variable with no default and no known value: not judged' },
];

const addressOutsideSubnet: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const model = composeModel(doc);
  const byName = new Map(model.networks.map((n) => [n.name, n]));
  for (const a of model.addresses) {
    if (a.value.unresolved) continue;
    const net = byName.get(a.network);
    if (!net || net.external) continue;
    const key = a.family === 6 ? 'ipv6_address' : 'ipv4_address';
    const addr = parseAddress(a.value.text);
    if (!addr || addr.family !== a.family) {
      out.push({ rule: 'compose/ipv6-address-outside-subnet', at: a.value.span, message: `services.${a.service}.networks.${a.network}.${key} "${a.value.text}" is not an IPv${a.family} address`, fix: `write one IPv${a.family} address (no prefix length) inside the network's subnet` });
      continue;
    }
    // a subnet with an unknown value might hold the address, unless it is of the other family
    if (net.ipam.some((e) => e.subnet?.unresolved && [undefined, a.family].includes(subnetFamily(net, e)))) continue;
    const subnets = net.ipam.map((e) => e.subnet && parseCidr(e.subnet.text)).filter((c) => c && c.family === a.family);
    if (subnets.some((c) => containsAddress(c!, addr))) continue;
    out.push({
      rule: 'compose/ipv6-address-outside-subnet',
      at: a.value.span,
      message: subnets.length
        ? `services.${a.service}: ${key} ${a.value.text} is outside the IPv${a.family} subnet${subnets.length > 1 ? 's' : ''} ${subnets.map((c) => formatCidr(c!)).join(', ')} of network "${a.network}": the container does not start`
        : `services.${a.service}: ${key} ${a.value.text} is set but network "${a.network}" has no IPv${a.family} subnet in ipam.config: Docker only accepts static addresses from a configured subnet`,
      fix: subnets.length ? `use an address inside ${formatCidr(subnets[0]!)}` : `add the IPv${a.family} subnet holding it to networks.${a.network}.ipam.config`,
    });
  }
  return out;
};

/** Only the values the IPv6 rules read: network definitions, service attachments and ports. */
const RELEVANT = (path: Array<string | number>) => path[0] === 'networks' || (path[0] === 'services' && (path[2] === 'networks' || path[2] === 'ports'));

const unresolved: DocRule = (doc) => (doc.unresolved ?? []).filter((u) => RELEVANT(u.path)).map((u) => {
  const node = nodeAt(doc, u.path);
  return {
    rule: 'compose/interpolation-unresolved',
    at: node ? spanOf(node) : docStart(doc),
    message: `${u.path.join('.')} is "${u.text}": ${[...new Set(u.missing)].join(', ')} has no default and no known value, so the IPv6 checks skip it`,
    fix: 'give the variable a default (${VAR:-value}), or pass --env-file FILE / --use-env to lint',
  };
});

export const composeValueDocRules: DocRule[] = [addressOutsideSubnet, unresolved];
