// network create and upgrade refuse while an interrupted enable/disable has a rollback pending: nothing is
// allocated, created or removed, and the hint says to run enable or disable. Docker is a fake API server.
import test from 'ava';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { writeJournal, type Journal } from '../../../src/transaction/journal';
import { RunContext } from '../../../src/cli/context';
import { resolveGlobals } from '../../../src/cli/globals';
import { PreconditionError } from '../../../src/errors';
import { runNetworkCreate } from '../../../src/network/create';
import { runNetworkUpgrade } from '../../../src/network/upgrade';

const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
const old = { Name: 'old', Id: 'a'.repeat(64), Driver: 'bridge', EnableIPv6: false, Internal: false, Attachable: false, Labels: {}, Options: {}, IPAM: { Driver: 'default', Config: [{ Subnet: '10.99.0.0/24', Gateway: '10.99.0.1' }] }, Containers: {} };

/** Answers the reads create and upgrade make; records every call, and refuses anything that changes Docker. */
async function fakeDocker(sock: string): Promise<{ server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    calls.push(`${req.method} ${path}`);
    const json = (v: unknown) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(v)); };
    if (req.method === 'GET' && path === '/_ping') res.end('OK');
    else if (req.method === 'GET' && path === '/networks') json([old]);
    else if (req.method === 'GET' && (path === '/networks/old' || path === `/networks/${old.Id}`)) json(old);
    else if (req.method === 'GET' && path === '/containers/json') json([]);
    else { res.statusCode = 500; json({ message: `fake docker: ${req.method} ${path} not expected` }); }
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return { server, calls };
}

async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'd6-network-journal-'));
  const sock = join(root, 'docker.sock');
  const docker = await fakeDocker(sock);
  const ctx = new RunContext(resolveGlobals({ root, restartCommand: 'true', yes: true }, {}), { hosts: [] } as never, { DOCKER_HOST: `unix://${sock}` }, sink(), sink());
  mkdirSync(ctx.paths.stateDir, { recursive: true });
  writeFileSync(ctx.paths.stateFile, `${JSON.stringify({ version: 1, prefix: 'fd12:3456:789a::/48' })}\n`);
  const journal: Journal = {
    version: 1, command: 'enable', pid: 2 ** 22 + 1, processStart: null, startedAt: '2024-05-01T10:00:00Z', status: 'running',
    entries: [{ stepId: 'write-daemon-json', describe: 'write daemon.json', state: 'applied', record: { kind: 'file', path: join(root, 'daemon.json'), absent: true } }],
  };
  await writeJournal(ctx.paths.journalFile, journal);
  return { ctx, calls: docker.calls, done: async () => { await new Promise((r) => docker.server.close(r)); rmSync(root, { recursive: true, force: true }); } };
}

const changes = (calls: string[]) => calls.filter((c) => !c.startsWith('GET '));

for (const [name, run, what] of [
  ['network create', (ctx: RunContext) => runNetworkCreate(ctx, 'web', {}), 'network create allocates nothing'],
  ['network create --compose', (ctx: RunContext) => runNetworkCreate(ctx, 'web', { compose: true }), 'network create allocates nothing'],
  ['network upgrade', (ctx: RunContext) => runNetworkUpgrade(ctx, 'old'), 'network upgrade changes nothing'],
] as const) {
  test(`${name} refuses while an interrupted run's rollback is pending`, async (t) => {
    const s = await setup();
    try {
      const e = await t.throwsAsync(run(s.ctx), { instanceOf: PreconditionError });
      t.regex(e!.message, /an interrupted docker ipv6 enable \(pid \d+, started [^)]+\) left a rollback unfinished/);
      t.true(e!.message.includes(s.ctx.paths.journalFile), 'names the journal');
      t.true(e!.message.includes(what), e!.message);
      t.regex((e as PreconditionError).hint ?? '', /run docker ipv6 recover: .*or docker ipv6 recover --abandon/);
      t.deepEqual(changes(s.calls), [], 'nothing was created or removed');
      t.false(s.calls.includes('GET /networks'), 'nothing was allocated: the taken space was not even read');
      t.true(existsSync(s.ctx.paths.journalFile), 'the journal is left to enable or disable');
      t.false(existsSync(s.ctx.paths.lockFile), 'lock released');
    } finally { await s.done(); }
  });
}
