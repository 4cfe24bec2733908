// Shared helpers for the tests that run code in the other runtimes (workerd, Deno): where their
// binaries are, a free loopback port, one way to spawn a runtime (output kept in memory and never
// printed, the whole process group killed at the end or after a deadline) and one writer of a
// workerd capnp config. Used by gateway-runtimes.test.js and pkg-runtimes.test.js.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** The workerd binary that `npm ci` installs (host/package.json devDependencies). */
export const WORKERD = join(HOST_DIR, 'node_modules/@cloudflare/workerd-linux-64/bin/workerd');
const DENO_CANDIDATES = [join(HOST_DIR, 'node_modules/@deno/linux-x64-glibc/deno'), join(HOST_DIR, 'node_modules/.bin/deno')];
/** The Deno binary that `npm ci` installs (the first candidate that exists). */
export const DENO = DENO_CANDIDATES.find((p) => existsSync(p)) ?? DENO_CANDIDATES[0];

/** A free loopback port (workerd needs a concrete port in its config). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** The environment of a Deno child: nothing inherited but PATH, a private cache, no prompts. */
export function denoEnv(dir, extra = {}) {
  return { PATH: process.env.PATH, HOME: dir, DENO_DIR: join(dir, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', ...extra };
}

/**
 * Spawns a runtime in its own process group. `options` go to spawn (stdio defaults to
 * ['ignore', 'pipe', 'pipe']); the group is killed after `killAfterMs`. The child gets `stdoutText()`,
 * `stderrText()` and `output` (both, in arrival order), `exited` (resolves to { code, signal }) and
 * `stop()` (SIGTERM, then SIGKILL to the group after 3 s; resolves once it is gone).
 */
export function spawnRuntime(cmd, args, options = {}, { killAfterMs = 60_000 } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  let stdout = '';
  let stderr = '';
  child.output = '';
  child.stdout?.on('data', (d) => { stdout += d; child.output += d; });
  child.stderr?.on('data', (d) => { stderr += d; child.output += d; });
  child.stdoutText = () => stdout;
  child.stderrText = () => stderr;
  const killGroup = (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => killGroup('SIGKILL'), killAfterMs);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal });
  }));
  child.stop = async () => {
    killGroup('SIGTERM');
    const hard = setTimeout(() => killGroup('SIGKILL'), 3000);
    await child.exited;
    clearTimeout(hard);
  };
  return child;
}

/**
 * A workerd capnp config serving one worker on `address`. `modules` are [{ name, file, kind }]
 * (kind 'esModule' or 'wasm', file relative to the config's folder); `bindings` are
 * [{ name, text }] or [{ name, fromEnvironment }]; `internet` lets the worker fetch loopback and
 * public hosts (the gateway calls the sandbox).
 */
export function workerdConfig({ address, modules, bindings = [], compatibilityDate = '2025-09-01', internet = false }) {
  const mods = modules.map(({ name, file, kind }) => `    (name = ${JSON.stringify(name)}, ${kind} = embed ${JSON.stringify(file)}),`);
  const binds = bindings.map((b) => (b.fromEnvironment !== undefined
    ? `    (name = ${JSON.stringify(b.name)}, fromEnvironment = ${JSON.stringify(b.fromEnvironment)}),`
    : `    (name = ${JSON.stringify(b.name)}, text = ${JSON.stringify(b.text)}),`));
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),${internet ? '\n    (name = "internet", network = (allow = ["public", "private", "local"])),' : ''}
  ],
  sockets = [ (name = "http", address = ${JSON.stringify(address)}, http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [
${mods.join('\n')}
  ],
  compatibilityDate = ${JSON.stringify(compatibilityDate)},
  bindings = [
${binds.join('\n')}
  ],${internet ? '\n  globalOutbound = "internet",' : ''}
);
`;
}
