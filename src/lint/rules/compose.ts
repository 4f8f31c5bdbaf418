// Compose rules: enable_ipv6 per used network, IPv6 subnets in ipam.config, subnet sanity, host collisions, version.
import { isMap, isScalar, type Node } from 'yaml';
import type { DocRule, RawFinding, RuleMeta, LintDoc, Span } from '../types';
import { composeModel, subnetFamily, type ComposeNetwork } from '../compose-model';
import { parseCidr, parseAddress, containsAddress, contains, overlaps, formatCidr, type Cidr } from '../../model/ip';
import { keySpan, spanOf } from '../source';

export const composeRules: RuleMeta[] = [
  { id: 'compose/enable-ipv6-missing', severity: 'error', summary: 'a network used by services lacks enable_ipv6: true', gated: true },
  { id: 'compose/no-address-family', severity: 'error', summary: 'enable_ipv4: false without enable_ipv6: true: Docker refuses a network with neither family' },
  { id: 'compose/ipv6-subnet-missing', severity: 'warning', summary: 'enable_ipv6 without an IPv6 subnet in ipam.config', gated: true },
  { id: 'compose/subnet-outside-ipam-config', severity: 'error', summary: 'subnet or gateway placed outside ipam.config, where Compose does not read it' },
  { id: 'compose/subnet-invalid', severity: 'error', summary: 'a malformed subnet, gateway or ip_range' },
  { id: 'compose/subnet-overlap', severity: 'error', summary: 'two subnets in the file overlap' },
  { id: 'compose/gateway-outside-subnet', severity: 'error', summary: 'a gateway or ip_range outside its subnet' },
  { id: 'compose/subnet-host-collision', severity: 'error', summary: "an IPv6 subnet collides with a network on this host's Docker" },
  { id: 'compose/version-obsolete', severity: 'warning', summary: 'the top-level version key is obsolete' },
];

/** Networks that cannot or need not get enable_ipv6 from this file. */
const skipped = (n: ComposeNetwork) => n.external || n.driver === 'host' || n.driver === 'none';

const enableIpv6Missing: DocRule = (doc, ctx) => {
  const out: RawFinding[] = [];
  for (const n of composeModel(doc).networks) {
    const v6Subnet = n.ipam.find((e) => e.subnet && !e.subnet.unresolved && parseCidr(e.subnet.text)?.family === 6)?.subnet;
    if (skipped(n) || n.enableIpv6 || n.enableUnknown || (n.usedBy.length === 0 && !v6Subnet)) continue;
    // no IPv4 and no IPv6 is compose/no-address-family's error, whatever the intent
    if (n.ipv4Off) continue;
    // enable_ipv6: false written down is a choice; only --require-ipv6 / --dual-stack overrule it
    if (n.enableOff && !ctx.forced) continue;
    // a few names, not 20k of them in one message
    const users = n.usedBy.length > 5 ? `${n.usedBy.slice(0, 5).join(', ')} and ${n.usedBy.length - 5} more` : n.usedBy.join(', ');
    if (n.usedBy.length === 0) {
      out.push({
        rule: 'compose/enable-ipv6-missing',
        at: n.enableSpan ?? n.span,
        message: `network "${n.name}" has the IPv6 subnet ${v6Subnet!.text} but no enable_ipv6: true: depending on the Docker version the subnet is refused or the network gets no IPv6`,
        fix: `set enable_ipv6: true under networks.${n.name}`,
      });
      continue;
    }
    out.push({
      rule: 'compose/enable-ipv6-missing',
      at: n.enableSpan ?? n.span,
      message: n.declared
        ? `network "${n.name}" is used by ${users} but has no enable_ipv6: true, so its containers get no IPv6 address`
        : `${users} use${n.usedBy.length > 1 ? '' : 's'} the implicit "default" network, which has no IPv6`,
      fix: n.declared
        ? `set enable_ipv6: true under networks.${n.name} and give it an IPv6 subnet in ipam.config (docker ipv6 lint --fix does both)`
        : 'declare networks.default with enable_ipv6: true and an IPv6 subnet in ipam.config (docker ipv6 lint --fix does both)',
    });
  }
  return out;
};

/** enable_ipv4: false asks for an IPv6-only network; without enable_ipv6: true Docker refuses to create it. */
const noAddressFamily: DocRule = (doc) => {
  const out: RawFinding[] = [];
  for (const n of composeModel(doc).networks) {
    if (skipped(n) || !n.ipv4Off || n.enableIpv6 || n.enableUnknown) continue;
    out.push({
      rule: 'compose/no-address-family',
      at: n.ipv4Span ?? n.span,
      message: `network "${n.name}" has enable_ipv4: false but ${n.enableOff ? 'enable_ipv6: false' : 'no enable_ipv6: true'}: Docker refuses a network with neither family ("IPv4 or IPv6 must be enabled"), so \`docker compose up\` fails`,
      fix: `for an IPv6-only network set enable_ipv6: true under networks.${n.name} (with an IPv6 subnet in ipam.config); otherwise drop enable_ipv4: false`,
    });
  }
  return out;
};

const ipv6SubnetMissing: DocRule = (doc) => {
  const out: RawFinding[] = [];
  for (const n of composeModel(doc).networks) {
    if (skipped(n) || !n.enableIpv6) continue;
    // a subnet from a variable with no known value may well be the IPv6 one, unless it shows it is IPv4
    if (n.ipam.some((e) => e.subnet && (e.subnet.unresolved ? subnetFamily(n, e) !== 4 : parseCidr(e.subnet.text)?.family === 6))) continue;
    out.push({
      rule: 'compose/ipv6-subnet-missing',
      at: n.enableSpan ?? n.span,
      message: `network "${n.name}" enables IPv6 without an IPv6 subnet in ipam.config: Docker before 27 refuses to create it, later versions pick a random ULA /64`,
      fix: `add "- subnet: <IPv6 prefix>/64" to networks.${n.name}.ipam.config (docker ipv6 lint --fix allocates one)`,
    });
  }
  return out;
};

const MISPLACED = ['subnet', 'subnets', 'gateway', 'ip_range'];

const subnetOutsideIpamConfig: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const nets = doc.data?.networks;
  if (!nets || typeof nets !== 'object') return out;
  for (const name of Object.keys(nets)) {
    const report = (path: string[], where: string) => {
      const key = path[path.length - 1];
      out.push({
        rule: 'compose/subnet-outside-ipam-config',
        at: keySpan(doc, path)!,
        message: `"${key}" under ${where} is not where Compose reads addresses: the network is created without it`,
        fix: `move it into networks.${name}.ipam.config as a list item: "- ${key === 'subnets' ? 'subnet' : key}: ..."`,
      });
    };
    const cfg = nets[name];
    if (!cfg || typeof cfg !== 'object') continue;
    for (const k of MISPLACED) if (k in cfg) report(['networks', name, k], `networks.${name}`);
    const ipam = cfg.ipam;
    if (ipam && typeof ipam === 'object') {
      for (const k of MISPLACED) if (k in ipam) report(['networks', name, 'ipam', k], `networks.${name}.ipam`);
      if (ipam.config && !Array.isArray(ipam.config)) {
        out.push({
          rule: 'compose/subnet-outside-ipam-config',
          at: keySpan(doc, ['networks', name, 'ipam', 'config'])!,
          message: `networks.${name}.ipam.config must be a list of {subnet, gateway} entries`,
          fix: 'write each subnet as a list item: "- subnet: ..."',
        });
      }
    }
  }
  return out;
};

interface PlacedCidr { network: string; text: string; cidr: Cidr; span: Span }

/** Every well-formed subnet of the file, in order; malformed ones are reported by subnetChecks. */
function placedSubnets(doc: LintDoc): PlacedCidr[] {
  const out: PlacedCidr[] = [];
  for (const n of composeModel(doc).networks) {
    for (const e of n.ipam) {
      const c = e.subnet && !e.subnet.unresolved && parseCidr(e.subnet.text);
      if (c && e.subnet) out.push({ network: n.name, text: e.subnet.text, cidr: c, span: e.subnet.span });
    }
  }
  return out;
}

const subnetChecks: DocRule = (doc) => {
  const out: RawFinding[] = [];
  for (const n of composeModel(doc).networks) {
    for (const e of n.ipam) {
      const where = `networks.${n.name}.ipam.config[${e.index}]`;
      let subnet: Cidr | undefined;
      if (e.subnet?.unresolved) continue;
      if (e.subnet) {
        subnet = parseCidr(e.subnet.text);
        if (!subnet) {
          out.push({ rule: 'compose/subnet-invalid', at: e.subnet.span, message: `${where}.subnet "${e.subnet.text}" is not a CIDR prefix`, fix: 'write it as address/length, e.g. fd00:1::/64 or 172.20.0.0/16' });
        } else if (subnet.hostBits) {
          out.push({ rule: 'compose/subnet-invalid', at: e.subnet.span, message: `${where}.subnet "${e.subnet.text}" has host bits set: Docker 25 and later reject it`, fix: `use ${formatCidr(subnet)}` });
        }
      }
      if (e.gateway && !e.gateway.unresolved) {
        const gw = parseAddress(e.gateway.text);
        if (!gw) out.push({ rule: 'compose/subnet-invalid', at: e.gateway.span, message: `${where}.gateway "${e.gateway.text}" is not an IP address (no prefix length here)`, fix: 'write a single address inside the subnet, e.g. fd00:1::1' });
        else if (subnet && !containsAddress(subnet, gw)) {
          out.push({ rule: 'compose/gateway-outside-subnet', at: e.gateway.span, message: `${where}.gateway ${e.gateway.text} is outside its subnet ${e.subnet!.text}`, fix: `use an address inside ${formatCidr(subnet)}, e.g. its first host` });
        }
      }
      if (e.ipRange && !e.ipRange.unresolved) {
        const r = parseCidr(e.ipRange.text);
        if (!r) out.push({ rule: 'compose/subnet-invalid', at: e.ipRange.span, message: `${where}.ip_range "${e.ipRange.text}" is not a CIDR prefix`, fix: 'write it as address/length inside the subnet' });
        else if (subnet && !contains(subnet, r)) {
          out.push({ rule: 'compose/gateway-outside-subnet', at: e.ipRange.span, message: `${where}.ip_range ${e.ipRange.text} is outside its subnet ${e.subnet!.text}`, fix: `choose a range inside ${formatCidr(subnet)}` });
        }
      }
    }
  }
  return out;
};

/**
 * For each subnet, the first earlier one (in file order) it overlaps. Prefixes overlap only when one holds the other,
 * so each subnet looks up its own ancestors and the subnets below it by their leading bits: linear in the number
 * of subnets (comparing every pair was quadratic).
 */
function firstOverlaps(all: PlacedCidr[]): Array<PlacedCidr | undefined> {
  const exact = new Map<string, number>(); // a seen subnet, by its leading bits
  const below = new Map<string, number>(); // the first seen subnet under each shorter prefix
  return all.map((b, i) => {
    const bits = b.cidr.start.toString(2).padStart(b.cidr.family === 6 ? 128 : 32, '0');
    const key = (len: number) => `${b.cidr.family}/${bits.slice(0, len)}`;
    let first = below.get(key(b.cidr.length));
    for (let len = 0; len <= b.cidr.length; len++) {
      const j = exact.get(key(len));
      if (j !== undefined && (first === undefined || j < first)) first = j;
    }
    if (!exact.has(key(b.cidr.length))) exact.set(key(b.cidr.length), i);
    for (let len = 0; len < b.cidr.length; len++) if (!below.has(key(len))) below.set(key(len), i);
    return first === undefined ? undefined : all[first];
  });
}

const subnetOverlap: DocRule = (doc) => {
  const out: RawFinding[] = [];
  const all = placedSubnets(doc);
  const earlier = firstOverlaps(all);
  all.forEach((b, i) => {
    const a = earlier[i];
    if (!a) return;
    out.push({
      rule: 'compose/subnet-overlap',
      at: b.span,
      message: `subnet ${b.text} of network "${b.network}" overlaps ${a.text} of network "${a.network}"`,
      fix: 'give each network its own, non-overlapping prefix',
    });
  });
  return out;
};

const hostCollision: DocRule = (doc, ctx) => {
  if (!ctx.hostNetworks) return [];
  const project = composeModel(doc).project;
  const out: RawFinding[] = [];
  for (const s of placedSubnets(doc)) {
    if (s.cidr.family !== 6) continue;
    for (const h of ctx.hostNetworks) {
      // the project's own network, already created by a previous `up`, is not a collision
      if (project && h.composeProject === project && h.composeNetwork === s.network) continue;
      const hit = h.subnets.find((t) => { const c = parseCidr(t); return c && overlaps(c, s.cidr); });
      if (!hit) continue;
      out.push({
        rule: 'compose/subnet-host-collision',
        at: s.span,
        message: `subnet ${s.text} of network "${s.network}" collides with ${hit} of the host's network "${h.name}"`,
        fix: 'pick a free prefix (docker ipv6 lint --fix chooses one from the host allocation) or remove the other network',
      });
      break;
    }
  }
  return out;
};

const versionObsolete: DocRule = (doc) => {
  const root = doc.doc.contents as Node | null;
  if (!isMap(root)) return [];
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === 'version');
  if (!pair) return [];
  return [{
    rule: 'compose/version-obsolete',
    at: spanOf(pair),
    message: 'the top-level "version" is obsolete: Compose ignores it and warns on every run',
    fix: 'delete the version line (docker ipv6 lint --fix does it)',
  }];
};

export const composeDocRules: DocRule[] = [
  enableIpv6Missing, noAddressFamily, ipv6SubnetMissing, subnetOutsideIpamConfig, subnetChecks, subnetOverlap, hostCollision, versionObsolete,
];
