// Docker version strings ("20.10.24+dfsg1", "26.1.5", "Docker version 28.5.2, build x") compared by number.

/** [major, minor, patch] of the first version-looking part of the string, or null. */
export function parseDockerVersion(version: string): [number, number, number] | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** True when `version` is at least `min` ("27.0"). An unparsable version counts as old (the cautious choice). */
export function dockerVersionAtLeast(version: string, min: string): boolean {
  const v = parseDockerVersion(version);
  const w = parseDockerVersion(min);
  if (!v || !w) return false;
  for (let i = 0; i < 3; i++) {
    if (v[i] !== w[i]) return v[i] > w[i];
  }
  return true;
}

/** Docker before 27 refuses `"ip6tables": true` unless experimental is on (measured on 20.10 and 26.1). */
export function needsExperimental(version: string): boolean {
  return !dockerVersionAtLeast(version, '27.0');
}

/**
 * Docker 25.0 added the bridge option com.docker.network.host_ipv6 (moby PR 46724): an SNAT rule to that address
 * instead of the masquerade. 20.10 keeps the option but ignores it (measured: its rule stays MASQUERADE).
 */
export const HOST_IPV6_SINCE = '25.0';
