// The lab's image: Debian's static busybox with applet links, imported as local/busybox:1 (no registry).
import { mkdirSync, readFileSync, symlinkSync, copyFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PreconditionError } from '../errors';
import { run } from '../util/exec';
import { importImage } from './api';

export const LAB_IMAGE = 'local/busybox:1';

const APPLETS = [
  'sh', 'ash', 'ping', 'ping6', 'ip', 'nc', 'wget', 'sleep', 'nslookup', 'cat', 'ls', 'echo', 'true', 'false',
  'ifconfig', 'route', 'hostname', 'grep', 'sed', 'awk', 'ps', 'kill', 'mkdir', 'rm', 'env', 'id', 'head',
  'tail', 'printf', 'traceroute', 'traceroute6', 'netstat', 'date', 'uname', 'tr', 'wc', 'httpd', 'timeout',
  'seq', 'sort', 'test', '[', 'touch', 'cut', 'udhcpc', 'arp', 'ipaddr', 'iproute',
];

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      const bin = readFileSync(p);
      // a dynamically linked busybox names its loader; it cannot run in an image without libc
      if (bin.includes('/lib64/ld-linux') || bin.includes('/lib/ld-linux')) continue;
      return p;
    } catch { /* next */ }
  }
  throw new PreconditionError('no static busybox found (/bin/busybox)', 'install it: apt-get install busybox-static');
}

/** Build the rootfs under workDir and import it through the lab's socket. */
export async function importBusyboxImage(socket: string, workDir: string): Promise<void> {
  const rootfs = join(workDir, 'rootfs');
  rmSync(workDir, { recursive: true, force: true });
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(findBusybox(), join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  const tar = join(workDir, 'rootfs.tar');
  await run(['tar', '-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '-cf', tar, '.']);
  const [repo, tag] = LAB_IMAGE.split(':');
  await importImage(socket, tar, repo, tag, ['ENV PATH=/bin', 'CMD ["/bin/sh"]']);
  rmSync(workDir, { recursive: true, force: true });
}
