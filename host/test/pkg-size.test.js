// Size budgets of the modules in pkg/, gzip -9 as a CDN or bundler would serve them: the
// signer entry (what a browser or an edge worker downloads to sign tokens) at most 64 KiB, the
// full module at most 160 KiB. A size test, not a timed one: the numbers are deterministic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const KiB = 1024;
const gzipped = (file) => gzipSync(readFileSync(new URL(`../../pkg/${file}`, import.meta.url)), { level: 9 }).length;
const describe = (bytes, budget) => `${(bytes / KiB).toFixed(1)} KiB gzip, budget ${budget / KiB} KiB (margin ${((budget - bytes) / KiB).toFixed(1)} KiB)`;

/**
 * Every module of pkg/ with its budget. The full module (the main entry: signer, inspection,
 * planner, shaper and write bodies of every operation in the table) within the 160 KiB;
 * what it took is in BENCHMARKS.md ("The full module within 160 KiB"). The trigger decisions are
 * used by the gateway only, on a server or an edge worker: their budget is a ceiling that keeps them
 * from growing unnoticed.
 */
const MODULES = [
  { dir: 'signer/', name: 'the signer module (asc-connector-wasm/signer)', budgetKiB: 64 },
  { dir: '', name: 'the full module', budgetKiB: 160 },
  { dir: 'any-request/', name: 'the any-request module (asc-connector-wasm/any-request)', budgetKiB: 96 },
  { dir: 'triggers/', name: 'the triggers module (asc-connector-wasm/triggers)', budgetKiB: 96 },
];

for (const { dir, name, budgetKiB } of MODULES) {
  test(`${name} is at most ${budgetKiB} KiB gzipped`, () => {
    const bytes = gzipped(`${dir}asc_connector_bg.wasm`);
    const budget = budgetKiB * KiB;
    assert.ok(bytes <= budget, describe(bytes, budget));
  });
}

test('the CommonJS glue shares each module (no second copy of the .wasm)', () => {
  for (const file of MODULES.map(({ dir }) => `${dir}asc_connector_node_bg.wasm`)) assert.throws(() => readFileSync(new URL(`../../pkg/${file}`, import.meta.url)), { code: 'ENOENT' }, file);
});
