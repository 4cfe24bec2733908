// Runs the asc-connector CLI as a subprocess for tests: a clean environment (PATH plus what the
// test passes), optional stdin, and a hard time limit so a hung command fails the test instead of
// the run. Resolves to { code, status, stdout, stderr } (`status` is the same exit code).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Path of the CLI entry. */
export const CLI = fileURLToPath(new URL('../../bin/asc-connector.js', import.meta.url));

export function runCli(args, { env = {}, input, timeoutMs = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`asc-connector ${args[0]} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, status: code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}
