import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { tarStream } from '../../../src/util/tar';
import { elfNeeds, librariesOf } from '../../../src/image/elf';
import { imageChanges } from '../../../src/image/rootfs';

test('the tar stream is one GNU tar reads: folders, files from a path and from bytes, symlinks, a long name, owned by root', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'd6-tar-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'src'), 'x'.repeat(1000));
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file`;
  await pipeline(tarStream([
    { name: 'tmp', type: 'dir', mode: 0o1777 },
    { name: 'usr/local/bin/tool', type: 'file', mode: 0o755, from: join(dir, 'src') },
    { name: 'etc/passwd', type: 'file', mode: 0o644, bytes: Buffer.from('root:x:0:0::/root:/x\n') },
    { name: 'usr/sbin/ip6tables', type: 'symlink', target: 'xtables-nft-multi' },
    { name: long, type: 'file', mode: 0o600, bytes: Buffer.from('y') },
  ], 0), createWriteStream(join(dir, 'out.tar')));
  const r = spawnSync('tar', ['-tvf', join(dir, 'out.tar')], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines[0], /^drwxrwxrwt root\/root +0 .* tmp\/$/);
  t.regex(lines[1], /^-rwxr-xr-x root\/root +1000 .* usr\/local\/bin\/tool$/);
  t.regex(lines[3], /^lrwxrwxrwx .* usr\/sbin\/ip6tables -> xtables-nft-multi$/);
  t.true(lines[4].endsWith(long));
  const x = spawnSync('tar', ['-xOf', join(dir, 'out.tar'), 'etc/passwd'], { encoding: 'utf8' });
  t.is(x.stdout, 'root:x:0:0::/root:/x\n');
});

test('libraries come from the ELF headers, the loader included, as ldd finds them', (t) => {
  const bin = '/usr/sbin/xtables-nft-multi';
  const e = elfNeeds(bin);
  t.truthy(e?.interp);
  t.true(e!.needed.includes('libc.so.6'));
  t.is(elfNeeds('/etc/protocols'), undefined, 'not an ELF file');
  const libs = librariesOf([bin]);
  const ldd = spawnSync('ldd', [bin], { encoding: 'utf8' }).stdout;
  for (const m of ldd.matchAll(/=>\s*(\/\S+)/g)) t.true(libs.some((l) => l.endsWith(m[1].split('/').pop()!)), `${m[1]} found`);
  t.false(libs.some((l) => readFileSync(l).subarray(0, 4).toString('hex') !== '7f454c46'));
});

test('the image runs the executable, with PATH and HOME (it has no shell), and says its build', (t) => {
  t.deepEqual(imageChanges('0.1.0', 'abc'), ['ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV HOME=/root', 'ENTRYPOINT ["/usr/local/bin/docker-ipv6"]', 'LABEL com.docker-ipv6.version=0.1.0 com.docker-ipv6.build=abc']);
});
