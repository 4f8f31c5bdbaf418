import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RunContext } from '../../../src/cli/context';
import { contextDirName } from '../../../src/cli/endpoint';
import { resolveGlobals } from '../../../src/cli/globals';
import { FLEET_WINDOW, fleetTable, fleetTargets, isFleet, readFleet, worstExit } from '../../../src/fleet/fleet';
import { PreconditionError } from '../../../src/errors';

const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });

function ctxWith(t: { teardown(fn: () => void): void }, contexts: string[], env: NodeJS.ProcessEnv = {}): RunContext {
  const cfg = mkdtempSync(join(tmpdir(), 'd6-fleet-cfg-'));
  t.teardown(() => rmSync(cfg, { recursive: true, force: true }));
  for (const [name, host] of [['prod-1', 'tcp://203.0.113.7:2376'], ['lab', 'unix:///run/lab.sock']]) {
    const d = join(cfg, 'contexts/meta', contextDirName(name));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host } } }));
  }
  mkdirSync(join(cfg, 'contexts/meta', 'broken'), { recursive: true });
  writeFileSync(join(cfg, 'contexts/meta', 'broken', 'meta.json'), '{');
  const ctx = new RunContext(resolveGlobals({}, {}), { hosts: [], debug: false, tls: false, tlsVerify: false, config: cfg }, env, sink(), sink());
  ctx.contexts = contexts;
  return ctx;
}

test('a fleet is two or more --context, or --all-contexts; one --context is the single-host command', (t) => {
  t.false(isFleet(ctxWith(t, ['lab']), false));
  t.true(isFleet(ctxWith(t, ['lab', 'prod-1']), false));
  t.true(isFleet(ctxWith(t, []), true));
});

test('--all-contexts lists default first, then the store\'s contexts sorted (a broken entry skipped, as the docker CLI does)', (t) => {
  const targets = fleetTargets(ctxWith(t, [], { DOCKER_HOST: 'tcp://198.51.100.9:2375' }), true);
  t.deepEqual(targets.map((x) => [x.name, x.endpoint?.host]), [['default', 'tcp://198.51.100.9:2375'], ['lab', 'unix:///run/lab.sock'], ['prod-1', 'tcp://203.0.113.7:2376']]);
  t.false(targets[2].endpoint!.local);
});

test('a context that does not exist is a row with its error, the others are read', (t) => {
  const targets = fleetTargets(ctxWith(t, ['lab', 'nope', 'lab']), false);
  t.deepEqual(targets.map((x) => x.name), ['lab', 'nope'], 'each context once');
  t.regex(targets[1].error!.message, /context "nope" does not exist/);
  t.is(targets[1].error!.exitCode, 2);
});

test('hosts are read in parallel with a bound; a host that throws is a row with its error; the exit status is the worst host\'s', async (t) => {
  const ctx = ctxWith(t, []);
  const targets = Array.from({ length: 9 }, (_, i) => ({ name: `h${i}`, endpoint: { host: `tcp://192.0.2.${i}:2375`, source: `context h${i}`, local: false } }));
  let inFlight = 0;
  let most = 0;
  const rows = await readFleet(ctx, [...targets, { name: 'bad', error: { message: 'no such context', exitCode: 2 } }], async (h) => {
    inFlight++; most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
    if (h.endpoint().host.endsWith('.3:2375')) throw new PreconditionError('Docker refused the connection', 'start it');
    return { value: h.endpoint().host, exitCode: 0 };
  });
  t.is(most, FLEET_WINDOW);
  t.is(rows.length, 10);
  t.is(rows[0].value, 'tcp://192.0.2.0:2375', 'each host read through its own endpoint');
  t.like(rows[3], { name: 'h3', exitCode: 3, error: { message: 'Docker refused the connection', hint: 'start it' } });
  t.like(rows[9], { name: 'bad', exitCode: 2 });
  t.is(worstExit(rows), 3);
  const table = fleetTable(rows, ['HOST', 'ENDPOINT', 'NOTE'], (v) => [v, '']);
  t.regex(table, /^h3 +- +error: Docker refused the connection \(start it\)$/m);
  t.regex(table, /^h0 +tcp:\/\/192\.0\.2\.0:2375$/m);
});
