// Issue 24 items 2 and 3 on Docker 28 (ip6tables backend), the whole walk: a source that is not the host's refused;
// enable --nat-source on an uplink of MTU 1420; both networks leave with the chosen address (the default bridge by our
// SNAT, network create's by Docker's own host_ipv6), as the upstream sees; 100 kB across a 1280 link beyond the
// upstream (and the same transfer stalling with Packet Too Big dropped); doctor --probe finds the 1280 path MTU; a
// plain network's MTU and a container interface's, each with its printed fix; a dockerd restart and the printed fix; the address gone and the printed
// fix; a lost state rebuilt (nat mode, the MTU, the chosen source); disable byte for byte; routed mode across the same link.
import test from 'ava';
import {
  bigTransferCompletes, blackHoleStalls, CHOSEN, containerMtuFixed, daemonJson, disableRestores, enableWithSource, plainNetworkMtuFixed,
  probeFindsPathMtu, refusesForeignSource, restartThenApply, routedTransfer, sourceGoneThenFixed, stateLostThenRebuilt, withNatLab,
} from './natmtu-lab';

test('docker 28: chosen NAT66 source, MTU 1420, Packet Too Big across a 1280 link (nat and routed), doctor and disable', async (t) => {
  await withNatLab(t, { docker: '28', prefix: 'nm28' }, async (n) => {
    const before = daemonJson(n.lab);
    await refusesForeignSource(t, n.lab); n.lap('refused source');
    await enableWithSource(t, n, { dockerHasHostIpv6: true }); n.lap('enable, network create, sources');
    await stateLostThenRebuilt(t, n); n.lap('state lost, rebuilt');
    await bigTransferCompletes(t, n, 'n1', new RegExp(`^${CHOSEN}$`)); n.lap('100 kB nat');
    await blackHoleStalls(t, n, 'n1'); n.lap('100 kB with PTB dropped');
    await probeFindsPathMtu(t, n.lab); n.lap('doctor --probe');
    await plainNetworkMtuFixed(t, n.lab); n.lap('plain network MTU');
    await containerMtuFixed(t, n.lab, 'n1'); n.lap('container MTU');
    await restartThenApply(t, n, true); n.lap('restart, apply');
    await sourceGoneThenFixed(t, n); n.lap('source gone');
    await disableRestores(t, n.lab, before); n.lap('disable');
    await routedTransfer(t, n); n.lap('routed 100 kB');
  });
});
