// Pure: how the host differs from what the saved state wants for Docker's networks and containers as they are now,
// for checks that must not change anything (doctor): the same desired state and diff a reconcile pass applies, and
// the published ports whose filter rules are missing. Rule lines are compared as the renderer writes them, whole.
import { desiredForwardRules, desiredState } from './desired';
import { ourRules, planReconcile, type Change } from './diff';
import { ownedFrom, type Observed } from './owned';

export interface Drift {
  /** what a reconcile pass would change now (empty: in step) */
  changes: Change[];
  /** containers whose published ports our filter does not let in yet */
  missingPorts: Array<{ container: string; ports: string[] }>;
}

/** undefined: docker-ipv6 is not enabled, nothing of ours to be in step. */
export function driftOf(obs: Observed): Drift | undefined {
  const owned = ownedFrom(obs.state);
  if (!owned) return undefined;
  const desired = desiredState(owned, obs.docker, obs.sysctls, obs.links);
  const plan = planReconcile(desired, obs);
  const missingPorts: Drift['missingPorts'] = [];
  if (desired.filter) {
    const have = new Set(ourRules(obs.tables, 'filter'));
    for (const c of obs.docker.containers.filter((x) => x.published.length)) {
      const ports: string[] = [];
      for (const p of c.published) {
        // the rules that exist only because of this published port: the desired chain with and without it
        const others = obs.docker.containers.map((x) => (x.id === c.id ? { ...x, published: x.published.filter((q) => q.port !== p.port || q.proto !== p.proto) } : x));
        const without = new Set(desiredForwardRules(owned, { ...obs.docker, containers: others }, obs.links));
        if (desired.filter.some((r) => !without.has(r) && !have.has(r))) ports.push(`${p.port}/${p.proto}`);
      }
      if (ports.length) missingPorts.push({ container: c.name, ports: [...new Set(ports)] });
    }
  }
  return { changes: plan.changes, missingPorts };
}
