// Issue 24 items 2 and 3 on Docker 20.10, which has no host_ipv6 option (it keeps the option but masquerades,
// measured): our SNAT covers the default bridge and network create's network, its jump kept above Docker's
// masquerade after a restart; doctor's MTU finding before enable and its --fix; 100 kB across the 1280 link in nat
// and routed mode.
import test from 'ava';
import {
  bigTransferCompletes, bridgeMtuBeforeEnable, CHOSEN, daemonJson, disableRestores, enableWithSource, restartThenApply, routedTransfer, withNatLab,
} from './natmtu-lab';

test('docker 20.10: our SNAT for every network, the bridge MTU fixed by doctor --fix, Packet Too Big across a 1280 link (nat and routed)', async (t) => {
  await withNatLab(t, { docker: '20', prefix: 'nm20' }, async (n) => {
    const before = daemonJson(n.lab);
    // on a host without IPv6 doctor --fix runs enable, which lowers the MTU itself (disable then undoes both)
    await bridgeMtuBeforeEnable(t, n.lab); n.lap('doctor --fix bridge MTU');
    await enableWithSource(t, n, { dockerHasHostIpv6: false, mtuSetBefore: true }); n.lap('enable, network create, sources');
    await bigTransferCompletes(t, n, 'n1', new RegExp(`^${CHOSEN}$`)); n.lap('100 kB nat');
    await restartThenApply(t, n, true); n.lap('restart, apply');
    await disableRestores(t, n.lab, before); n.lap('disable');
    await routedTransfer(t, n); n.lap('routed 100 kB');
  });
});
