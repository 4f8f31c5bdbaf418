// What the lab benchmarks (bench-agent.mjs, bench-renumber.mjs) share: the Docker API over a lab's unix socket, and
// the environment that points the docker CLI and the tool at a lab (as `lab exec` gives it), for processes run
// with nsenter in the lab host's namespace.
import { request } from 'node:http';
import { join } from 'node:path';

/** Docker API over the unix socket (no CLI, no per-call process). */
export function dockerApi(socket, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: socket, agent: false, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      let out = '';
      res.setEncoding('utf8').on('data', (d) => { out += d; }).on('end', () => {
        if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${out}`));
        else resolve(out ? JSON.parse(out) : undefined);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The lab's socket, its docker-config (cli-plugins/docker-ipv6 -> this build), the tool's root and restart command. */
export function labToolEnv(rec, cli, base = process.env) {
  return {
    ...base,
    DOCKER_HOST: `unix://${rec.dockerd.socket}`, DOCKER_CONFIG: join(rec.dir, 'docker-config'),
    DOCKER_IPV6_CONFIG_FILE: rec.dockerd.configFile, DOCKER_IPV6_ROOT: rec.toolRoot, DOCKER_IPV6_DOCKERD: rec.dockerd.path,
    DOCKER_IPV6_RESTART_COMMAND: `${cli} lab restart ${rec.name}`, PATH: [...rec.dockerd.pathDirs, base.PATH].join(':'),
  };
}
