// A HostSnapshot read off the fakes, as observeHost would see the fake host now (for planners such as planDisable).
import { parseDaemonJson } from '../../src/daemon/parse';
import type { HostSnapshot } from '../../src/observe/snapshot';
import { normaliseDocker, type ApiContainer } from '../../src/model/docker';
import type { FakeRun } from './run';

export async function observedSnapshot(r: FakeRun): Promise<HostSnapshot> {
  const { fake, snap } = r;
  const text = fake.daemon.text;
  return {
    ...snap,
    daemonConfig: { ...snap.daemonConfig, exists: text !== undefined, text: text ?? '', value: parseDaemonJson(text ?? '', fake.daemon.path).value },
    networks: snap.networks,
    // the containers as the fake Docker has them now (a restart stops some, enable starts them again)
    containers: normaliseDocker([], fake.docker.containers as ApiContainer[]).containers,
    host: { ...snap.host, net: await fake.net.read(), sysctls: fake.sysctl.snapshot() },
    firewall: await fake.fw.facts(),
    state: await fake.state.read(),
  };
}
