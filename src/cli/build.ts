// This build's version and id (scripts/build.mjs defines both in the executable; from source: the package's version, "dev").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageRef } from '../model/probe';

function sourceVersion(): string {
  try { return (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version; } catch { return '0.0.0'; }
}

export const VERSION: string = process.env.DOCKER_IPV6_VERSION ?? sourceVersion();
export const BUILD: string = process.env.DOCKER_IPV6_BUILD ?? 'dev';

/** The image `docker ipv6 image` makes from this build: the probe's and the Swarm agent's. */
export function thisImage(): string {
  return imageRef(VERSION, BUILD);
}
