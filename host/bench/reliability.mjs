// Collects the figures RELIABILITY.md quotes: runs the four hardening suites (hostile input,
// upstream faults, load, secrets) one after another and prints each suite's result, wall time and
// the figures its tests report as TAP diagnostics. Usage: node bench/reliability.mjs [--json]
// Nothing secret is printed: the suites themselves print only labels and counts.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('..', import.meta.url));
const SUITES = ['hostile', 'faults', 'load', 'secrets'];
/** Diagnostics that carry figures (the runner's own summary lines are kept separately). */
const FIGURE = /rows passed|medians|faults survived|streamed body|RSS|load:|mints per key|secret scan/;

function runSuite(name) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', `test/${name}.test.js`], { cwd: HOST, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = out.split('\n').map((l) => l.trim());
      const count = (key) => Number((lines.find((l) => l.startsWith(`# ${key} `)) ?? '').split(' ')[2] ?? NaN);
      resolve({
        suite: name,
        exitCode: code,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail'),
        todo: count('todo'),
        figures: lines.filter((l) => l.startsWith('# ') && !l.startsWith('# Subtest:') && FIGURE.test(l)).map((l) => l.slice(2)),
      });
    });
  });
}

const results = [];
for (const name of SUITES) results.push(await runSuite(name));
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  for (const r of results) {
    process.stdout.write(`\n## ${r.suite}: ${r.pass}/${r.tests} passed, ${r.fail} failed, ${r.todo} todo, ${r.seconds} s (exit ${r.exitCode})\n`);
    for (const f of r.figures) process.stdout.write(`- ${f}\n`);
  }
  const total = results.reduce((s, r) => s + r.seconds, 0);
  process.stdout.write(`\nTotal: ${Math.round(total * 10) / 10} s\n`);
}
process.exitCode = results.every((r) => r.exitCode === 0) ? 0 : 1;
