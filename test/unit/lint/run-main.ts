// Runs the CLI's main() in a child process for the exit-status tests (process.exitCode is global).
import { main } from '../../../src/main';

main(process.argv.slice(2)).catch((e) => { process.stderr.write(`unexpected: ${e}\n`); process.exitCode = 99; });
