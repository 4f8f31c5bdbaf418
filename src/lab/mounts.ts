// Mounts a lab leaves behind (dockerd's data-root bind mount, container rootfs and netns files):
// found in mountinfo and unmounted deepest first, so the lab folder can be removed.
import { readFileSync } from 'node:fs';
import { run } from '../util/exec';

export interface MountEntry { mountPoint: string; fsType: string }

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 5 || sep < 0) continue;
    out.push({ mountPoint: unescape(f[4]), fsType: f[sep + 1] ?? '' });
  }
  return out;
}

export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): MountEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return parseMountinfo(mountinfo).filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(prefix));
}

/** Deepest first; stacked mounts on one point are peeled one per pass, so loop while any remain. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const failed = new Set<string>();
  for (let pass = 0; pass < 20; pass++) {
    const ms = mountsUnder(dir).filter((m) => !failed.has(m.mountPoint));
    if (ms.length === 0) break;
    ms.sort((a, b) => b.mountPoint.split('/').length - a.mountPoint.split('/').length || b.mountPoint.length - a.mountPoint.length);
    const seen = new Set<string>();
    for (const m of ms) {
      if (seen.has(m.mountPoint)) continue;
      seen.add(m.mountPoint);
      try {
        await run(['umount', m.mountPoint], { timeoutMs: 20_000 });
      } catch {
        // busy: detach it, so the folder can go once its last user exits
        try { await run(['umount', '-l', m.mountPoint], { timeoutMs: 20_000 }); } catch { failed.add(m.mountPoint); }
      }
    }
  }
  return [...failed];
}
