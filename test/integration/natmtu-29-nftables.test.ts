// Issue 24 items 2 and 3 on Docker 29 with its nftables backend: our SNAT in table ip6 docker-ipv6 (postrouting at
// srcnat - 1, so it decides before Docker's masquerade without any reordering, also after a restart), Docker's own
// host_ipv6 for network create's network; 100 kB across the 1280 link in nat and routed mode; doctor --probe; disable.
import test from 'ava';
import {
  bigTransferCompletes, CHOSEN, daemonJson, disableRestores, enableWithSource, probeFindsPathMtu, restartThenApply,
  routedTransfer, withNatLab,
} from './natmtu-lab';

test('docker 29 nftables: chosen NAT66 source, MTU 1420, Packet Too Big across a 1280 link (nat and routed), doctor and disable', async (t) => {
  await withNatLab(t, { docker: '29', firewallBackend: 'nftables', prefix: 'nm29n' }, async (n) => {
    const before = daemonJson(n.lab);
    await enableWithSource(t, n, { dockerHasHostIpv6: true }); n.lap('enable, network create, sources');
    await bigTransferCompletes(t, n, 'bridge', new RegExp(`^${CHOSEN}$`)); n.lap('100 kB nat');
    await probeFindsPathMtu(t, n.lab); n.lap('doctor --probe');
    await restartThenApply(t, n, false); n.lap('restart');
    await disableRestores(t, n.lab, before); n.lap('disable');
    await routedTransfer(t, n); n.lap('routed 100 kB');
  });
});
