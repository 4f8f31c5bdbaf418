// Issue 24 items 2 and 3 on Docker 29 with its iptables backend: Docker's own host_ipv6 for network create's network,
// our SNAT for the default bridge, 100 kB across the 1280 link in nat and routed mode. (Its restart puts Docker's
// masquerade above our jump as 20.10 and 28 do, measured; the restart walk runs on those two.)
import test from 'ava';
import { bigTransferCompletes, CHOSEN, daemonJson, disableRestores, enableWithSource, routedTransfer, withNatLab } from './natmtu-lab';

test('docker 29 iptables: chosen NAT66 source on both networks, MTU 1420, Packet Too Big across a 1280 link (nat and routed), disable', async (t) => {
  await withNatLab(t, { docker: '29', firewallBackend: 'iptables', prefix: 'nm29i' }, async (n) => {
    const before = daemonJson(n.lab);
    await enableWithSource(t, n, { dockerHasHostIpv6: true }); n.lap('enable, network create, sources');
    await bigTransferCompletes(t, n, 'bridge', new RegExp(`^${CHOSEN}$`)); n.lap('100 kB nat');
    await disableRestores(t, n.lab, before); n.lap('disable');
    await routedTransfer(t, n); n.lap('routed 100 kB');
  });
});
