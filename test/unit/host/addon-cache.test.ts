// The native addon cache (host/addon-cache.ts) on a real tree: written once by sha256, checked on every use,
// replaced when tampered with, refused under a world-writable folder or in a folder someone else owns.
// The run is root; the per-user cache is exercised with a non-zero uid argument and a HOME we make.
import test, { type ExecutionContext } from 'ava';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonCacheDir, cachedAddon, ROOT_ADDON_DIR, sha256 } from '../../../src/host/addon-cache';

const REPO = join(__dirname, '../../..');
const BYTES = Buffer.from('not really an ELF, the cache does not care\n');
const NO_SHARED = '/nonexistent/addon';

/**
 * A HOME under no world-writable folder (the cache refuses those): /run (root's, as the test runs), else the repo's
 * ignored .cache/. Not the repo by default: a clone under /tmp (as CI may make) has a world-writable ancestor.
 */
function home(t: ExecutionContext): string {
  let base = join(REPO, '.cache');
  try { accessSync('/run', constants.W_OK); base = '/run'; } catch { mkdirSync(base, { recursive: true, mode: 0o755 }); }
  const dir = mkdtempSync(join(base, 'd6-addon-test-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('root uses /var/cache/docker-ipv6/addon (0755, files 0644); others a folder of their own (0700, files 0600)', (t) => {
  t.deepEqual(addonCacheDir(0, { HOME: '/root' }), { dir: ROOT_ADDON_DIR, dirMode: 0o755, fileMode: 0o644 });
  t.deepEqual(addonCacheDir(1000, { HOME: '/home/u' }), { dir: '/home/u/.cache/docker-ipv6/addon', dirMode: 0o700, fileMode: 0o600 });
  t.is(addonCacheDir(1000, { HOME: '/home/u', XDG_CACHE_HOME: '/c' }).dir, '/c/docker-ipv6/addon');
  t.is(addonCacheDir(1000, { HOME: '/home/u', XDG_CACHE_HOME: 'relative' }).dir, '/home/u/.cache/docker-ipv6/addon', 'a relative XDG_CACHE_HOME is ignored, as the spec says');
  t.throws(() => addonCacheDir(1000, {}), { message: /HOME is not set/ });
});

test('first use writes <sha256>.node, later uses return the same checked file, a tampered copy is replaced', (t) => {
  const h = home(t);
  const file = cachedAddon(BYTES, 1000, { HOME: h }, NO_SHARED);
  t.is(file, join(h, '.cache/docker-ipv6/addon', `${sha256(BYTES)}.node`));
  t.deepEqual(readFileSync(file), BYTES);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(statSync(join(h, '.cache/docker-ipv6/addon')).mode & 0o777, 0o700);
  const mtime = statSync(file).mtimeMs;
  t.is(cachedAddon(BYTES, 1000, { HOME: h }, NO_SHARED), file);
  t.is(statSync(file).mtimeMs, mtime, 'a good copy is not rewritten');
  writeFileSync(file, 'swapped');
  t.is(cachedAddon(BYTES, 1000, { HOME: h }, NO_SHARED), file);
  t.deepEqual(readFileSync(file), BYTES, 'a copy whose sha256 does not match is replaced before use');
});

test('refused: a cache under a world-writable folder (/tmp), and a cache folder owned by someone else', (t) => {
  const sticky = mkdtempSync(join(tmpdir(), 'shp-addon-'));
  t.teardown(() => rmSync(sticky, { recursive: true, force: true }));
  chmodSync(sticky, 0o755);
  t.throws(() => cachedAddon(BYTES, 1000, { HOME: sticky }, NO_SHARED), { message: /writable by everyone/ });
  const h = home(t);
  mkdirSync(join(h, '.cache/docker-ipv6/addon'), { recursive: true });
  chownSync(join(h, '.cache/docker-ipv6/addon'), 65534, 65534);
  t.throws(() => cachedAddon(BYTES, 1000, { HOME: h }, NO_SHARED), { message: /refusing to trust the native addon cache folder/ });
});

test('a non-root run uses root\'s checked copy when there is one, and makes no cache of its own', (t) => {
  const h = home(t);
  const shared = join(h, 'var-cache');
  mkdirSync(shared, { mode: 0o755 });
  writeFileSync(join(shared, `${sha256(BYTES)}.node`), BYTES, { mode: 0o644 });
  t.is(cachedAddon(BYTES, 1000, { HOME: join(h, 'nohome') }, shared), join(shared, `${sha256(BYTES)}.node`));
  t.false(existsSync(join(h, 'nohome')));
  // a shared copy that does not check out is not used: the user's own cache is made instead
  writeFileSync(join(shared, `${sha256(BYTES)}.node`), 'swapped');
  t.is(cachedAddon(BYTES, 1000, { HOME: join(h, 'user') }, shared), join(h, 'user/.cache/docker-ipv6/addon', `${sha256(BYTES)}.node`));
  // and one that cannot be made is a precondition error with a way out
  t.throws(() => cachedAddon(BYTES, 1000, { HOME: '/proc/nohome' }, shared), { message: /cannot make .* for the native addon/ });
});
