// The list of commands. Each module only defines its commander shape; engines load on use.
import type { Command } from 'commander';
import type { ContextFactory } from '../cli/context';
import * as status from './status';
import * as enable from './enable';
import * as lab from './lab';
import * as install from './install';
import * as lint from './lint';
import * as network from './network';
import * as verify from './verify';
import * as doctor from './doctor';
import * as agent from './agent';
import * as recover from './recover';
import * as fleet from './fleet';

export interface CommandModule {
  register(program: Command, makeContext: ContextFactory): void;
}

export const commandModules: CommandModule[] = [status, enable, lab, install, lint, agent, doctor, network, verify, recover, fleet];
