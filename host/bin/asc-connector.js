#!/usr/bin/env node
// asc-connector command-line entry. Each command lives in src/commands/<name>.js and exports
// `run(argv, io) -> exit code`; this file only dispatches, so commands stay testable in-process.
import { readFileSync } from 'node:fs';

const COMMANDS = {
  token: 'Mint an App Store Connect token and print it.',
  inspect: 'Decode a token and list every way it breaks Apple\'s rules.',
  request: 'Check any App Store Connect request against Apple\'s spec, sign it and send it.',
  serve: 'Run the gateway (Node entry).',
  sandbox: 'Run the local App Store Connect stand-in.',
  demo: 'Run the full path on the embedded sandbox and print the results.',
  connector: 'Write a ready-to-import copy of the connector for a gateway host.',
  web: 'Serve the token page on loopback.',
};

function usage() {
  const lines = ['Usage: asc-connector <command> [options]', '', 'Commands:'];
  for (const [name, text] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${text}`);
  lines.push('', 'Run `asc-connector <command> --help` for the options of one command.');
  return lines.join('\n') + '\n';
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage());
    return command ? 0 : 2;
  }
  if (command === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    process.stderr.write(`asc-connector: unknown command "${command}". Run asc-connector --help.\n`);
    return 2;
  }
  const mod = await import(new URL(`../src/commands/${command}.js`, import.meta.url));
  return mod.run(rest, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}

main().then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => {
    // Never print stacks that could carry request data; the message is ours.
    process.stderr.write(`asc-connector: ${err && err.code ? `${err.code}: ` : ''}${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
