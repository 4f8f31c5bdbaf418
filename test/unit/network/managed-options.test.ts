// What network create adds from enable's decisions: the uplink's MTU, and in nat mode with a chosen source Docker's own
// host_ipv6 option with our label (Docker 25+, Docker's NAT on); the user's --opt wins, and a label alone proves nothing.
import test from 'ava';
import { composeBlock } from '../../../src/network/compose';
import { createBody, managedDefaults, planCreate } from '../../../src/subnets/plan';
import { dockerSnatOf, networkFacts, HOST_IPV6_OPTION, MTU_OPTION, NAT_SOURCE_LABEL } from '../../../src/model/docker';
import { parseCidr6 } from '../../../src/model/ip';
import type { ToolState } from '../../../src/model/state';

const facts = { prefix: parseCidr6('fd12:3456:789a::/48')!, used: { v4: [], v6: [] }, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: [] };
const SRC = '2001:db8:1::99';
function state(over: Partial<NonNullable<ToolState['enabled']>> = {}, mode: ToolState['mode'] = 'nat'): ToolState {
  return {
    version: 1, prefix: 'fd12:3456:789a::/48', mode, uplink: 'eth0', natSource: SRC,
    enabled: { at: 'x', daemonJson: { path: '/etc/docker/daemon.json', undo: { previous: {} }, fileExisted: true }, sysctls: {}, sysctlFileWritten: true, natByUs: false, filterByUs: false, mtu: 1420, ...over },
  };
}

test('Docker 25 and later get host_ipv6 with our label, and the MTU; older daemons only the MTU', (t) => {
  t.deepEqual(managedDefaults(state(), '28.5.2'), { options: { [MTU_OPTION]: '1420', [HOST_IPV6_OPTION]: SRC }, labels: { [NAT_SOURCE_LABEL]: SRC } });
  t.deepEqual(managedDefaults(state(), '25.0.0'), { options: { [MTU_OPTION]: '1420', [HOST_IPV6_OPTION]: SRC }, labels: { [NAT_SOURCE_LABEL]: SRC } });
  t.deepEqual(managedDefaults(state(), '24.0.9'), { options: { [MTU_OPTION]: '1420' }, labels: {} });
  t.deepEqual(managedDefaults(state(), '20.10.24+dfsg1'), { options: { [MTU_OPTION]: '1420' }, labels: {} });
  t.deepEqual(managedDefaults(state(), undefined), { options: { [MTU_OPTION]: '1420' }, labels: {} }, 'unknown version: the cautious choice');
  t.deepEqual(managedDefaults(state({ natByUs: true }), '28.5.2').labels, {}, '"iptables": false: Docker programs no NAT, ours covers it');
  t.deepEqual(managedDefaults(state({ mtu: undefined }, 'routed'), '28.5.2'), { options: {}, labels: {} });
  t.deepEqual(managedDefaults({ version: 1, natSource: SRC }, '28.5.2'), { options: {}, labels: {} }, 'not enabled: nothing');
});

test('the plan carries them into the API body and the Compose block; the user\'s own option wins and then the label is not set', (t) => {
  const defaults = managedDefaults(state(), '28.5.2');
  const p = planCreate('n1', {}, { ...facts, defaults });
  t.deepEqual(p.options, { [MTU_OPTION]: '1420', [HOST_IPV6_OPTION]: SRC });
  t.is(p.labels[NAT_SOURCE_LABEL], SRC);
  t.deepEqual((createBody(p) as { Options: Record<string, string> }).Options, p.options);
  t.regex(composeBlock(p), /com\.docker\.network\.host_ipv6: 2001:db8:1::99/);
  const mine = planCreate('n2', { opt: [`${HOST_IPV6_OPTION}=2001:db8:1::2`, `${MTU_OPTION}=1280`], label: [`${NAT_SOURCE_LABEL}=2001:db8:1::2`] }, { ...facts, defaults });
  t.deepEqual(mine.options, { [MTU_OPTION]: '1280', [HOST_IPV6_OPTION]: '2001:db8:1::2' });
  t.false(NAT_SOURCE_LABEL in mine.labels, 'a label given by hand does not vouch for an option');
});

test('a network counts as SNATed by Docker only with the option and our label naming the same address', (t) => {
  const n = (options: Record<string, string>, labels: Record<string, string>) => networkFacts({ Id: 'x'.repeat(64), Name: 'n', Options: options, Labels: labels });
  t.is(dockerSnatOf(n({ [HOST_IPV6_OPTION]: '2001:DB8:1::99' }, { [NAT_SOURCE_LABEL]: SRC })), SRC);
  t.is(dockerSnatOf(n({ [HOST_IPV6_OPTION]: SRC }, {})), undefined, 'the admin\'s option (or a daemon before 25 that ignores it)');
  t.is(dockerSnatOf(n({}, { [NAT_SOURCE_LABEL]: SRC })), undefined);
  t.is(dockerSnatOf(n({ [HOST_IPV6_OPTION]: SRC }, { [NAT_SOURCE_LABEL]: '2001:db8:1::2' })), undefined);
});
