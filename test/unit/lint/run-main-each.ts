// Runs the CLI's main() once per argument set in one child process (tsx starts once, not 47 times):
// each run's stdout, stderr and exit code are captured and printed together as one JSON array.
// Usage: run-main-each.ts -- <common args...> -- file1 file2 ...   (runs: lint <common args> fileN)
import { main } from '../../../src/main';

async function runOnce(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  (process.stdout as any).write = (c: any) => { out.push(String(c)); return true; };
  (process.stderr as any).write = (c: any) => { err.push(String(c)); return true; };
  process.exitCode = 0;
  try {
    await main(argv);
  } catch (e) {
    err.push(`unexpected: ${e}\n`);
    process.exitCode = 99;
  } finally {
    (process.stdout as any).write = realOut;
    (process.stderr as any).write = realErr;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

(async () => {
  const args = process.argv.slice(2);
  const sep = args.indexOf('--', 1);
  const common = args.slice(args[0] === '--' ? 1 : 0, sep);
  const files = args.slice(sep + 1);
  const results = [];
  for (const file of files) results.push({ file, ...(await runOnce([...common, file])) });
  process.stdout.write(JSON.stringify(results));
})();
