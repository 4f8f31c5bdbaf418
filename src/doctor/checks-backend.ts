// Docker 29's firewall backends (pure): which one Docker uses and where our rules live, DOCKER-USER rules the
// nftables backend never reads, iptables rules beside Docker's nftables ones, our own rules left in the other place
// after a switch, firewalld, and the forwarding without which the nftables backend refuses to start.
//
// The fact behind most of these: on a netfilter hook every base chain sees each packet, whether iptables-nft,
// iptables-legacy or native nftables wrote it, and a drop in any of them is final while an accept only ends its
// own chain. So rules in "the other" firewall are not dormant: their drops still drop, their accepts open nothing.
import { FORWARD_CHAIN, NAT_CHAIN, USER_CHAIN } from '../model/names';
import { NFT_FAMILY, NFT_TABLE } from '../model/nft-script';
import type { DockerFirewall, ParsedRuleset } from '../model/ip6tables-save';
import { config, finding, nftForwardingMissing, ok, skip } from './derive';
import type { Check, DoctorInput, Finding, XtablesView } from './types';

const L = 'firewall' as const;
const OURS = [FORWARD_CHAIN, NAT_CHAIN, USER_CHAIN];
const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

const SOURCE: Record<DockerFirewall['source'], string> = {
  'docker info': '`docker info`',
  'dockerd flag': "dockerd's --firewall-backend flag",
  'daemon.json': '"firewall-backend" in daemon.json',
  default: 'Docker\'s default (no --firewall-backend flag or daemon.json key; Docker is not answering)',
};

const tool = (v: Pick<XtablesView, 'family' | 'variant'>) => `${v.family === 6 ? 'ip6tables' : 'iptables'}-${v.variant}`;
const onNft = (i: DoctorInput) => i.snap.firewall.docker?.backend === 'nftables';

export const backendInfo: Check = (i) => {
  const d = i.snap.firewall.docker;
  if (!d) return [skip('firewall.backend', L, "Docker's firewall backend: not known (the firewall was not observed)")];
  const docker = d.backend === 'nftables'
    ? 'Docker uses its nftables firewall backend (tables ip docker-bridges and ip6 docker-bridges; no DOCKER-USER chain)'
    : `Docker uses its iptables firewall backend${d.driver?.includes('firewalld') ? ' with firewalld' : ''} (DOCKER-* chains in iptables and ip6tables)`;
  const ours = i.snap.firewall.kind === 'nftables'
    ? `docker-ipv6's rules live in nftables table ${NFT_FAMILY} ${NFT_TABLE}`
    : `docker-ipv6's rules live in ip6tables chains ${FORWARD_CHAIN}, ${USER_CHAIN} and ${NAT_CHAIN}`;
  return [ok('firewall.backend', L, `${docker}, known from ${SOURCE[d.source]}; ${ours}`)];
};

/** The `-A CHAIN ...` lines of a chain, in one table. */
const rulesOf = (rs: ParsedRuleset, table: string, chain: string) => (rs[table]?.rules ?? []).filter((r) => r.startsWith(`-A ${chain} `));
/** A rule line as the command that deletes it ("-A X ..." -> "TOOL -t T -D X ..."); the line keeps -save's quoting. */
const del = (t: string, table: string, line: string) => `${t} -t ${table} -D${line.slice(2)}`;

/** Commands that take the chains `names` out of one table: the jumps to them from built-in chains, then -F and -X. */
function removeChains(t: string, table: string, rs: ParsedRuleset, names: string[]): string[] {
  const jumps = (rs[table]?.rules ?? []).filter((r) => BUILTIN.has(r.split(' ')[1]) && names.some((n) => r.endsWith(` -j ${n}`) || r.includes(` -j ${n} `) || r.endsWith(` -g ${n}`)));
  return [...jumps.map((r) => del(t, table, r)), ...names.map((n) => `${t} -t ${table} -F ${n}`), ...names.map((n) => `${t} -t ${table} -X ${n}`)];
}

export const dockerUser: Check = (i) => {
  if (!onNft(i) || !i.extra.xtables) return [];
  const out: Finding[] = [];
  for (const v of i.extra.xtables) {
    // Docker before 28 filled DOCKER-USER with one "-j RETURN": nothing of the admin's
    const own = rulesOf(v.tables, 'filter', 'DOCKER-USER').filter((r) => r !== '-A DOCKER-USER -j RETURN');
    if (own.length === 0) continue;
    const t = tool(v);
    const jumped = rulesOf(v.tables, 'filter', 'FORWARD').some((r) => r.endsWith('-j DOCKER-USER'));
    const d6user = v.family === 6 && !!i.snap.state?.enabled?.filterByUs;
    const where = d6user
      ? `put the IPv6 ones in chain ${USER_CHAIN} of table ${NFT_FAMILY} ${NFT_TABLE}, which docker-ipv6 evaluates before its own rules and never edits (e.g. nft add rule ${NFT_FAMILY} ${NFT_TABLE} ${USER_CHAIN} ip6 saddr 2001:db8:9::/48 tcp dport 22 accept), or in a table of your own`
      : 'put them in a table of your own with a forward base chain (nft add table inet admin && nft add chain inet admin forward \'{ type filter hook forward priority filter - 2; }\'); remember that an accept there cannot undo a drop in Docker\'s table';
    out.push(finding('firewall.docker-user', L, 'warn',
      `${own.length} rule(s) in ${t}'s DOCKER-USER chain (${own.slice(0, 2).join('; ')}) no longer work as written: Docker's nftables backend has no DOCKER-USER chain and never sends packets there${jumped
        ? `; FORWARD still jumps to it (left from the iptables backend), so its drops still drop (every base chain on the forward hook sees each packet) but its accepts cannot let through what Docker's nftables rules drop`
        : ''}`,
      `${where}; then remove the old chain: ${removeChains(t, 'filter', v.tables, ['DOCKER-USER']).join(' && ')}`, undefined, t));
  }
  return out.length ? out : [ok('firewall.docker-user', L, 'no DOCKER-USER rules are left in iptables or ip6tables (Docker\'s nftables backend would not read them)')];
};

export const backendMix: Check = (i) => {
  if (!onNft(i) || !i.extra.xtables) return [];
  const out: Finding[] = [];
  for (const v of i.extra.xtables) {
    const t = tool(v);
    const drop = v.tables.filter?.chains.FORWARD === 'DROP';
    // ours and DOCKER-USER are the business of firewall.stale-ours and firewall.docker-user
    const forward = rulesOf(v.tables, 'filter', 'FORWARD').filter((r) => !/ -j (D6-|DOCKER)/.test(r));
    const docker: Record<string, string[]> = {};
    for (const [table, tb] of Object.entries(v.tables)) {
      const names = Object.keys(tb.chains).filter((c) => c.startsWith('DOCKER') && !(table === 'filter' && c === 'DOCKER-USER' && rulesOf(v.tables, 'filter', c).some((r) => r !== '-A DOCKER-USER -j RETURN')));
      if (names.length) docker[table] = names;
    }
    const dockerNames = [...new Set(Object.values(docker).flat())];
    if (!drop && forward.length === 0 && dockerNames.length === 0) continue;
    const what = [
      drop && 'FORWARD policy DROP',
      forward.length && `${forward.length} rule(s) of its own in FORWARD (${forward.slice(0, 2).join('; ')})`,
      dockerNames.length && `Docker's old chains ${dockerNames.slice(0, 4).join(', ')}${dockerNames.length > 4 ? ', ...' : ''} (left from its iptables backend)`,
    ].filter(Boolean).join(', ');
    const fixes: string[] = [];
    for (const [table, names] of Object.entries(docker)) fixes.push(...removeChains(t, table, v.tables, names));
    let fix = fixes.length ? `remove what Docker's iptables backend left (a reboot does too, unless a firewall service loads it again): ${fixes.join(' && ')}` : '';
    if (drop) {
      fix += `${fix ? '; ' : ''}if the DROP policy is Docker's (its iptables backend sets it) or not meant for containers: ${t} -P FORWARD ACCEPT; if it is your firewall's, accept the bridges' traffic in it: ${t} -I FORWARD -i docker0 -j ACCEPT && ${t} -I FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT (and the same for each br-+ bridge)`;
    }
    if (forward.length) fix += `${fix ? '; ' : ''}check that the FORWARD rules (${t}-save -t filter) drop only what they mean to: they run beside Docker's nftables rules, not instead of them`;
    out.push(finding('firewall.backend-mix', L, 'warn',
      `${t} still filters beside Docker's nftables rules: ${what}. Every base chain on a hook sees each packet, in iptables-nft, iptables-legacy and nftables alike, and a drop in any of them wins${drop ? ', so this policy drops container traffic that Docker\'s nftables rules accept' : ''}`,
      fix, undefined, t));
  }
  return out.length ? out : [ok('firewall.backend-mix', L, 'no iptables or ip6tables rules filter beside Docker\'s nftables rules')];
};

export const staleOurs: Check = (i) => {
  const d = i.snap.firewall.docker;
  if (!d) return [];
  if (d.backend === 'nftables') {
    const out: Finding[] = [];
    for (const v of (i.extra.xtables ?? []).filter((x) => x.family === 6)) {
      const t = tool(v);
      const cmds: string[] = [];
      const found: string[] = [];
      for (const [table, tb] of Object.entries(v.tables)) {
        const names = OURS.filter((c) => c in tb.chains);
        if (!names.length) continue;
        found.push(...names);
        cmds.push(...removeChains(t, table, v.tables, names));
      }
      if (!found.length) continue;
      const user = rulesOf(v.tables, 'filter', USER_CHAIN).length;
      out.push(finding('firewall.stale-ours', L, 'warn',
        `docker-ipv6's chains ${found.join(', ')} are still in ${t}, from when Docker used its iptables backend; our rules now live in table ${NFT_FAMILY} ${NFT_TABLE}, but these are still evaluated (every base chain on the hook sees the packet): their drops, for networks and ports as they were then, still drop`,
        `${user ? `first copy your ${user} rule(s) of ${USER_CHAIN} (${t} -S ${USER_CHAIN}) into chain ${USER_CHAIN} of table ${NFT_FAMILY} ${NFT_TABLE}, then: ` : ''}${cmds.join(' && ')}`, undefined, t));
    }
    return out.length ? out : [ok('firewall.stale-ours', L, `no chains of docker-ipv6 are left in ip6tables (Docker uses nftables, ours live in table ${NFT_FAMILY} ${NFT_TABLE})`)];
  }
  const tables = i.extra.nftTables;
  if (!tables) return [];
  if (!tables.some((t) => t.family === NFT_FAMILY && t.name === NFT_TABLE)) return [ok('firewall.stale-ours', L, `no nftables table ${NFT_FAMILY} ${NFT_TABLE} is left (Docker uses iptables, ours live in ip6tables chains)`)];
  return [finding('firewall.stale-ours', L, 'warn',
    `table ${NFT_FAMILY} ${NFT_TABLE} is left from when Docker used its nftables backend; Docker now uses iptables and docker-ipv6's rules live in ip6tables chains, but the old table's base chains still see every packet and their drops still drop`,
    `first copy any rules of your own from its ${USER_CHAIN} (nft list chain ${NFT_FAMILY} ${NFT_TABLE} ${USER_CHAIN}) into ip6tables' ${USER_CHAIN} (docker ipv6 apply creates it), then: nft delete table ${NFT_FAMILY} ${NFT_TABLE}`, undefined, `${NFT_FAMILY} ${NFT_TABLE}`)];
};

export const firewalld: Check = (i) => {
  const byDocker = !!i.snap.firewall.docker?.driver?.includes('firewalld');
  const state = i.extra.firewalld;
  if (!byDocker && state === undefined) return [];
  if (!byDocker && state !== 'running') return [ok('firewall.firewalld', L, 'firewalld is installed but not running')];
  const ours = i.snap.firewall.kind === 'nftables' ? `table ${NFT_FAMILY} ${NFT_TABLE}` : `the ip6tables chains ${FORWARD_CHAIN} and ${NAT_CHAIN}`;
  return [finding('firewall.firewalld', L, 'warn',
    `firewalld is running${byDocker ? ` (Docker reports "${i.snap.firewall.docker!.driver}")` : ''}: Docker puts its bridges in firewalld's "docker" zone and writes its rules again after each firewalld reload, but a reload (firewall-cmd --reload, or its start) can remove rules firewalld did not make, ${ours} included, until docker-ipv6 applies them again; and firewalld's own forward rules are base chains too, so a drop there wins over any accept of Docker's or ours`,
    'after a firewalld reload run docker ipv6 apply (the agent does it on its next pass); check that firewalld\'s zones and policies let the bridges\' traffic through (firewall-cmd --get-active-zones; Docker\'s bridges are in the "docker" zone)')];
};

/** Docker's nftables backend refuses to start without forwarding (it never turns it on itself): say which, and why Docker is or will be down. */
export const nftForwarding: Check = (i) => {
  if (!onNft(i)) return [];
  const cfg = config(i.snap);
  if (cfg['ip-forward'] === false) return [ok('daemon.nft-forwarding', 'daemon', '"ip-forward": false: Docker\'s nftables backend neither checks nor needs forwarding (containers reach only their own networks)')];
  const missing = nftForwardingMissing(i);
  if (!missing.length) return [ok('daemon.nft-forwarding', 'daemon', 'the forwarding Docker\'s nftables backend needs at start is on')];
  const down = !i.snap.daemon.reachable;
  const filtered = !!i.snap.state?.enabled?.filterByUs;
  return missing.map(({ key, value, v6 }) => {
    const quote = v6 ? '"IPv6 global forwarding is disabled: check your host\'s firewalling and set sysctls net.ipv6.conf.all.forwarding=1 and net.ipv6.conf.default.forwarding=1 ..."'
      : '"IPv4 forwarding is disabled: check your host\'s firewalling and set sysctl net.ipv4.ip_forward=1 ..."';
    const why = v6 ? ' (the default bridge has IPv6)' : '';
    // routed/ndp: forwarding comes up only behind our filter, which apply installs first
    const fix = v6 && filtered ? 'docker ipv6 apply (installs the filter, then turns forwarding on)' : `sysctl -w ${key}=1 (and keep it across reboots: echo '${key} = 1' > /etc/sysctl.d/61-docker-forwarding.conf)`;
    return finding('daemon.nft-forwarding', 'daemon', 'fail',
      `${key} = ${value ?? '?'}${why}: Docker's nftables backend ${down ? 'refuses to start, so Docker stays down' : 'will refuse to start at its next restart'} (${quote}); it never turns forwarding on itself`,
      `${fix}${down ? `, then: ${i.restartCommand}` : ''}`,
      v6 && !filtered ? { kind: 'sysctl', key, value: '1' } : undefined, key);
  });
};

export const BACKEND_CHECKS: Check[] = [backendInfo, dockerUser, backendMix, staleOurs, firewalld];
