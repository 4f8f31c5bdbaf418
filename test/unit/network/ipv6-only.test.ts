// network create --ipv6-only: the plan has no IPv4 part, the API body says EnableIPv4=false, Compose gets
// enable_ipv4: false, ls shows IPv4 off; daemons before 28 (API 1.48) are refused before anything is read or changed.
import test from 'ava';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import { PreconditionError, UsageError } from '../../../src/errors';
import { composeBlock } from '../../../src/network/compose';
import { runNetworkCreate } from '../../../src/network/create';
import { networkRows } from '../../../src/network/ls';
import { checkIpv6OnlySupport, createBody, planCreate, SUBNET4_LABEL } from '../../../src/subnets/plan';
import { networkFacts } from '../../../src/model/docker';
import { parseCidr6 } from '../../../src/model/ip';
import type { UsedSpace } from '../../../src/model/alloc';

const none: UsedSpace = { v4: [], v6: [] };
const facts = { prefix: parseCidr6('fd12:3456:789a::/48')!, used: none, pools: [{ base: '10.128.0.0/9', size: 24 }], existingNames: [] };

test('plan and body: an IPv6 subnet allocated as today, no IPv4 subnet, EnableIPv4 false', (t) => {
  const p = planCreate('v6', { ipv6Only: true }, facts);
  t.is(p.v4, undefined);
  t.is(p.v6.subnet, 'fd12:3456:789a:1::/64');
  t.false(SUBNET4_LABEL in p.labels);
  const body = createBody(p) as { EnableIPv4?: boolean; EnableIPv6: boolean; IPAM: { Config: Array<{ Subnet: string }> } };
  t.is(body.EnableIPv4, false);
  t.true(body.EnableIPv6);
  t.deepEqual(body.IPAM.Config, [{ Subnet: 'fd12:3456:789a:1::/64' }]);
  // a dual-stack body stays as it was: no EnableIPv4 key at all (older daemons never see it)
  const dual = createBody(planCreate('d', {}, facts)) as Record<string, unknown>;
  t.false('EnableIPv4' in dual);
  // a given IPv6 subnet and gateway still work
  const given = planCreate('g', { ipv6Only: true, subnet: ['fd99::/64'], gateway: ['fd99::1'] }, facts);
  t.deepEqual(given.v6, { subnet: 'fd99::/64', gateway: 'fd99::1', ipRange: undefined, allocated: false });
});

test('IPv4 settings with --ipv6-only are a usage error, not dropped', (t) => {
  for (const o of [{ subnet: ['10.5.0.0/24'] }, { subnet: ['fd99::/64', '10.5.0.0/24'], gateway: ['10.5.0.1'] }, { ipRange: ['10.5.0.0/25'] }]) {
    const e = t.throws(() => planCreate('v6', { ...o, ipv6Only: true }, facts), { instanceOf: UsageError });
    t.regex(e!.message, /^--ipv6-only takes no IPv4 settings: --/);
  }
});

test('Compose block and ls rows say IPv4 is off', (t) => {
  const block = composeBlock(planCreate('v6', { ipv6Only: true }, facts));
  t.regex(block, /enable_ipv4: false\n\s+enable_ipv6: true/);
  t.notRegex(block, /10\.128/);
  const rows = networkRows([
    networkFacts({ Id: 'a'.repeat(64), Name: 'v6', Driver: 'bridge', EnableIPv6: true, EnableIPv4: false, IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } }),
    networkFacts({ Id: 'b'.repeat(64), Name: 'dual', Driver: 'bridge', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.0.0.0/24' }, { Subnet: 'fd00:2::/64' }] } }),
  ]);
  t.deepEqual(rows.map((r) => [r.name, r.ipv4Enabled, r.ipv6Status]), [['dual', true, 'on'], ['v6', false, 'on (IPv6-only)']]);
});

test('the version gate: 28.0 / API 1.48 and later pass; older, or unknown, are refused with the reason', (t) => {
  t.notThrows(() => checkIpv6OnlySupport({ version: '28.5.1', apiVersion: '1.51' }));
  t.notThrows(() => checkIpv6OnlySupport({ version: '29.7.2', apiVersion: '1.55' }));
  for (const d of [{ version: '26.1.5', apiVersion: '1.45' }, { version: '20.10.24+dfsg1', apiVersion: '1.41' }, { version: '28.0.0', apiVersion: '1.47' }, {}]) {
    const e = t.throws(() => checkIpv6OnlySupport(d), { instanceOf: PreconditionError });
    t.regex(e!.message, /--ipv6-only needs Docker 28\.0 or later \(API 1\.48\).*ignores EnableIPv4=false and would create a dual-stack network: nothing was created/);
  }
});

test('runNetworkCreate --ipv6-only on Docker 26: refused after one version call, before the lock, any read of the space or any change', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'd6-v6only-'));
  const sock = join(root, 'docker.sock');
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    calls.push(`${req.method} ${path}`);
    res.setHeader('content-type', 'application/json');
    if (path === '/_ping') res.end('OK');
    else if (path === '/version') res.end(JSON.stringify({ Version: '26.1.5+dfsg1', ApiVersion: '1.45' }));
    else { res.statusCode = 500; res.end(JSON.stringify({ message: `fake docker: ${req.method} ${path} not expected` })); }
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
    const ctx = new RunContext(resolveGlobals({ root, restartCommand: 'true', yes: true }, {}), { hosts: [] } as never, { DOCKER_HOST: `unix://${sock}` }, sink(), sink());
    for (const compose of [false, true]) {
      const e = await t.throwsAsync(runNetworkCreate(ctx, 'v6', { ipv6Only: true, compose }), { instanceOf: PreconditionError });
      t.regex(e!.message, /this daemon is Docker 26\.1\.5\+dfsg1 \(API 1\.45\)/);
    }
    t.deepEqual(calls, ['GET /_ping', 'GET /version', 'GET /_ping', 'GET /version']);
    t.false(existsSync(ctx.paths.lockFile), 'the lock was never taken');
    t.false(existsSync(ctx.paths.stateFile), 'nothing was recorded');
  } finally {
    await new Promise((r) => server.close(r));
    rmSync(root, { recursive: true, force: true });
  }
});
