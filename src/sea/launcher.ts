// The main script of the single executable (scripts/sea.mjs): answers the docker CLI's metadata request
// before anything else loads, then compiles the application from the executable's assets. The heavy
// vendor bundles (dockerode, netlink, yaml) are assets too, compiled only when a command requires them,
// and netlink's native addon is written to a checked cache and dlopened from there (host/addon-cache.ts).
//
// Run by a plain runtime (not as an executable) it reads the same assets from files beside it: the build
// uses that to produce the V8 code caches the executable then carries (see codeCacheOut below).
declare const DOCKER_IPV6_METADATA: string;

if (process.argv[2] === 'docker-cli-plugin-metadata') {
  process.stdout.write(DOCKER_IPV6_METADATA);
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./loader') as typeof import('./loader')).start();
}
