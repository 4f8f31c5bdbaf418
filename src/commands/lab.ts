// `docker ipv6 lab`: isolated test topologies with a real dockerd (defined by the lab module).
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/program';

export function register(program: Command, _makeContext: ContextFactory): void {
  program.command('lab').description('build and remove isolated lab hosts with a real dockerd');
}
