// Docs and boundaries that can be checked: every error code has a README row, the package exports
// what docs/DESIGN.md and the README promise, the README's JavaScript example runs, the repository
// names no file outside itself and every docs/ citation points at a real file and heading, and only
// src/wasm.rs knows about wasm-bindgen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify, importSPKI, decodeJwt } from 'jose';
import * as pkg from 'asc-connector-wasm';

const ROOT = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');

test('every error code has a row in the README with its HTTP status', () => {
  const codes = pkg.errorCodes();
  assert.ok(codes.length > 50);
  for (const { code, status } of codes) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `README has no row for ${code}`);
    assert.equal(row.split('|')[2].trim(), String(status), `README status for ${code}`);
  }
});

test('the package exports the names docs/DESIGN.md and the README promise', () => {
  const design = readFileSync(new URL('docs/DESIGN.md', ROOT), 'utf8');
  const promised = design.slice(design.indexOf('## The wasm package'), design.indexOf('\n## ', design.indexOf('## The wasm package') + 1));
  for (const name of ['mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'planRequest', 'shapeResponse', 'operations', 'errorCodes']) {
    assert.ok(promised.includes(`\`${name}`), `docs/DESIGN.md's package section names ${name}`);
    assert.equal(typeof pkg[name], 'function', name);
    assert.ok(readme.includes(name), `README mentions ${name}`);
  }
  const types = readFileSync(new URL('pkg/index.d.ts', ROOT), 'utf8');
  for (const name of ['mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'planRequest', 'shapeResponse', 'TokenOptions', 'TokenInspection']) {
    assert.ok(types.includes(name), `index.d.ts declares ${name}`);
  }
});

// ---------------------------------------------------------------------------------------------------
// The npm package's own README (tools/pkg-template/README.md, copied into pkg/ by make pkg).

const pkgReadme = readFileSync(new URL('pkg/README.md', ROOT), 'utf8');

/** The first fenced block of `lang` after the heading `heading`. */
function exampleUnder(text, heading, lang) {
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `pkg README has a "${heading}" section`);
  const open = text.indexOf('```' + lang + '\n', at) + lang.length + 4;
  return text.slice(open, text.indexOf('```', open));
}

test('the package README is the template make pkg copies, and lists every error code with its status', () => {
  // The template's prose, with the repository README's error-code table in place of its marker line.
  const template = readFileSync(new URL('tools/pkg-template/README.md', ROOT), 'utf8').split('\n');
  const marker = template.findIndex((line) => line.startsWith('<!-- error-code table:'));
  assert.ok(marker > 0, 'the template marks where the error-code table goes');
  const tableStart = pkgReadme.split('\n').indexOf('| Code | HTTP | Meaning |');
  assert.equal(tableStart, marker, 'the table stands where the marker was');
  const lines = pkgReadme.split('\n');
  let tableEnd = tableStart;
  while (lines[tableEnd]?.startsWith('|')) tableEnd += 1;
  assert.deepEqual([...lines.slice(0, tableStart), ...lines.slice(tableEnd)],
    [...template.slice(0, marker), ...template.slice(marker + 1)], 'pkg/README.md is the template plus the table');
  const files = JSON.parse(readFileSync(new URL('pkg/package.json', ROOT), 'utf8')).files;
  assert.ok(files.includes('README.md'), 'pkg/package.json ships README.md');
  for (const { code, status } of pkg.errorCodes()) {
    const row = pkgReadme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    assert.ok(row, `pkg README has no row for ${code}`);
    assert.equal(row.split('|')[2].trim(), String(status), `pkg README status for ${code}`);
  }
  for (const name of ['mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'planRequest', 'shapeResponse', 'operations', 'errorCodes']) {
    assert.ok(pkgReadme.includes(`### \`${name}(`) || pkgReadme.includes(`### \`new ${name}(`), `pkg README documents ${name}`);
  }
  for (const runtime of ['### Node (import)', '### Node (require)', '### Cloudflare Workers', '### Deno', '### Browser']) {
    assert.ok(pkgReadme.includes(`\n${runtime}\n`), `pkg README has an example for ${runtime}`);
  }
});

test('the package README Node examples run as written and their tokens verify with jose', async () => {
  // The examples import the package by name: run them from a folder under host/ so Node finds it.
  const parent = new URL('../test-artifacts/', import.meta.url).pathname;
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'pkg-readme-'));
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'AuthKey_2X9R4HXF34.p8'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }), 'ES256');
    const run = (name, code) => {
      writeFileSync(join(dir, name), code);
      return execFileSync(process.execPath, [name], { cwd: dir, encoding: 'utf8' }).trim();
    };
    const esm = run('example.mjs', exampleUnder(pkgReadme, '### Node (import)', 'js'));
    const team = await jwtVerify(esm, key, {
      algorithms: ['ES256'], audience: 'appstoreconnect-v1', issuer: '57246542-96fe-1a63-e053-0824d011072a',
    });
    assert.equal(team.protectedHeader.kid, '2X9R4HXF34');
    const cjs = run('example.cjs', exampleUnder(pkgReadme, '### Node (require)', 'js'));
    const individual = await jwtVerify(cjs, key, { algorithms: ['ES256'], audience: 'appstoreconnect-v1', subject: 'user' });
    assert.equal(decodeJwt(cjs).iss, undefined);
    assert.equal(individual.payload.exp - individual.payload.iat, 900);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README JavaScript example runs and its token verifies with jose', async () => {
  const section = readme.slice(readme.indexOf('## The JavaScript API'));
  const code = section.slice(section.indexOf('```js\n') + 6, section.indexOf('```', section.indexOf('```js\n') + 6));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p8Text = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const body = code.replace(/^import .*$/m, '') + '\nreturn { token, problems, minter };';
  // eslint-disable-next-line no-new-func
  const run = new Function('mintToken', 'TokenMinter', 'inspectToken', 'publicKeyPem', 'p8Text', body);
  const { token, problems, minter } = run(pkg.mintToken, pkg.TokenMinter, pkg.inspectToken, pkg.publicKeyPem, p8Text);
  assert.deepEqual(problems, []);
  assert.equal(minter.mintCount, 1);
  minter.free();
  const key = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }), 'ES256');
  const { payload, protectedHeader } = await jwtVerify(token, key, {
    algorithms: ['ES256'], audience: 'appstoreconnect-v1', issuer: '57246542-96fe-1a63-e053-0824d011072a',
  });
  assert.equal(protectedHeader.kid, '2X9R4HXF34');
  assert.equal(payload.exp - payload.iat, 900);
});

function filesUnder(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (path.endsWith(ext)) out.push(path);
  }
  return out;
}

test('only src/wasm.rs knows about wasm-bindgen and JsValue', () => {
  const src = new URL('src/', ROOT).pathname;
  const offenders = filesUnder(src, '.rs')
    .filter((f) => !f.endsWith('/src/wasm.rs'))
    .filter((f) => /wasm_bindgen|JsValue|js_sys/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the core reads no clock, randomness or files', () => {
  const src = new URL('src/', ROOT).pathname;
  const offenders = filesUnder(src, '.rs')
    .filter((f) => !f.endsWith('/src/wasm.rs'))
    .filter((f) => /SystemTime|Instant::now|getrandom|std::fs|std::net|thread_rng|OsRng/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

// ---------------------------------------------------------------------------------------------------
// The repository stands alone: it names no file outside itself, and its docs/ citations resolve.

/** Tracked text files (spec/*.json, Apple's large vendored documents, and binary files are skipped). */
function trackedTextFiles() {
  const root = new URL('.', ROOT).pathname;
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && !/^spec\/.*\.json$/.test(f))
    .map((f) => ({ file: f, bytes: readFileSync(join(root, f)) }))
    .filter(({ bytes }) => !bytes.subarray(0, 8000).includes(0))
    .map(({ file, bytes }) => ({ file, text: bytes.toString('utf8') }));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(markdown) {
  const anchors = new Set();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (m) anchors.add(slug(m[1]));
  }
  return anchors;
}

test('no tracked file names a place outside the repository', () => {
  // Built from parts so that this file does not match itself.
  const outside = ['..' + '/shared', 'shared' + '/reference'];
  const files = trackedTextFiles();
  assert.ok(files.length > 50, `${files.length} tracked text files`);
  const offenders = files.flatMap(({ file, text }) => outside.filter((s) => text.includes(s)).map((s) => `${file}: ${s}`));
  assert.deepEqual(offenders, []);
});

test('every docs/ citation in a tracked file points at an existing file and heading', () => {
  const root = new URL('.', ROOT).pathname;
  // A path under docs/ ending in .md, then optionally #anchor or ' §'; the [d] keeps the pattern from matching itself.
  const citation = /\b[d]ocs\/([A-Za-z0-9_.-]+\.md)(?:#([a-z0-9_-]+)| §)?/g;
  const anchors = new Map();
  const problems = [];
  let count = 0;
  for (const { file, text } of trackedTextFiles()) {
    for (const m of text.matchAll(citation)) {
      count += 1;
      const [, name, anchor] = m;
      const path = join(root, 'docs', name);
      let known = anchors.get(name);
      if (!known) {
        try {
          known = anchorsOf(readFileSync(path, 'utf8'));
        } catch {
          problems.push(`${file} cites docs/${name}, which does not exist`);
          continue;
        }
        anchors.set(name, known);
      }
      if (anchor && !known.has(anchor)) problems.push(`${file} cites docs/${name}#${anchor}: no such heading`);
    }
  }
  // Relative links inside docs/ itself ([text](API_NOTES.md#x)).
  for (const name of readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md'))) {
    for (const m of readFileSync(join(root, 'docs', name), 'utf8').matchAll(/\]\(([A-Za-z0-9_.-]+\.md)?#([a-z0-9_-]+)\)/g)) {
      count += 1;
      const target = m[1] ?? name;
      const known = anchors.get(target) ?? anchorsOf(readFileSync(join(root, 'docs', target), 'utf8'));
      if (!known.has(m[2])) problems.push(`docs/${name} links ${target}#${m[2]}: no such heading`);
    }
  }
  assert.ok(count >= 10, `only ${count} citations found: is the pattern still right?`);
  assert.deepEqual(problems, []);
});
