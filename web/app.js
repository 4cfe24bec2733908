// The token page: mint an App Store Connect token from a .p8 key and inspect any token, entirely in
// the browser with the asc-connector wasm package. No network request after the module loads and
// nothing is stored: the key lives only in this page's memory until "Clear key" or the tab closes.
import { HELP, fieldForCode, expiryInWords, issuedInWords, isoTime } from './explain.js';

const LIST_APPS_URL = 'https://api.appstoreconnect.apple.com/v1/apps?limit=10';
const MAX_KEY_FILE_BYTES = 64 * 1024;

const $ = (id) => document.getElementById(id);
const nowSeconds = () => Math.floor(Date.now() / 1000);

let wasm = null;
/** Key text read from a chosen or dropped file; never written into the page. */
let fileKey = '';
/** The key ID we filled in from a file name (so a later file may replace it, but not a typed one). */
let prefilledKeyId = '';
let countdownTimer = 0;
let currentExp = 0;

// ---------- tabs (WAI-ARIA tabs pattern: arrows, Home/End, roving tabindex) ----------
const tabs = [$('tab-mint'), $('tab-inspect')];

function selectTab(tab, focus) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab, false));
  tab.addEventListener('keydown', (event) => {
    const i = tabs.indexOf(tab);
    let next = null;
    if (event.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
    else if (event.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (event.key === 'Home') next = tabs[0];
    else if (event.key === 'End') next = tabs[tabs.length - 1];
    if (next) {
      event.preventDefault();
      selectTab(next, true);
    }
  });
}

// ---------- errors next to their field ----------
const ERROR_SLOTS = { key: 'key-error', keyId: 'key-id-error', issuer: 'issuer-error', lifetime: 'lifetime-error', scope: 'scope-error', form: 'form-error' };
const FIELD_INPUTS = { key: ['key-text', 'key-file'], keyId: ['key-id'], issuer: ['issuer-id'], lifetime: ['lifetime'], scope: ['scope'], form: [] };

function clearErrors(slots) {
  for (const [field, id] of Object.entries(slots)) {
    const el = $(id);
    el.hidden = true;
    el.textContent = '';
    for (const input of FIELD_INPUTS[field] ?? []) $(input).removeAttribute('aria-invalid');
  }
}

/** Fills an error slot with the plain-language title, the module's message, the fix and the code. */
function showError(slotId, err, inputs = []) {
  const el = $(slotId);
  const code = err && err.code ? String(err.code) : 'ERROR';
  const help = HELP[code];
  el.textContent = '';
  const title = document.createElement('strong');
  title.textContent = help ? help[0] : 'Something is wrong.';
  el.append(title, ' ', String(err && err.message ? err.message : err));
  if (help) {
    const fix = document.createElement('span');
    fix.className = 'fix';
    fix.textContent = help[1];
    el.append(fix);
  }
  const codeEl = document.createElement('code');
  codeEl.className = 'code';
  codeEl.textContent = code;
  el.append(codeEl);
  el.hidden = false;
  for (const input of inputs) $(input).setAttribute('aria-invalid', 'true');
}

function showFieldError(err) {
  const field = fieldForCode(err && err.code);
  showError(ERROR_SLOTS[field], err, FIELD_INPUTS[field]);
  const first = FIELD_INPUTS[field]?.[0];
  if (first) $(first).focus();
}

// ---------- the key: file, drop or paste ----------
async function loadKeyFile(file) {
  clearErrors({ key: 'key-error' });
  if (!file) return;
  if (file.size > MAX_KEY_FILE_BYTES) {
    showError('key-error', { code: 'KEY_NOT_PEM', message: 'The file is far larger than a .p8 key (about 250 bytes).' }, ['key-file']);
    return;
  }
  fileKey = await file.text();
  $('key-text').value = '';
  $('key-file-status').textContent = `Loaded ${file.name} (the key is kept in this page only and not shown).`;
  const match = /^AuthKey_([A-Za-z0-9]+)\.p8$/.exec(file.name);
  const keyIdInput = $('key-id');
  if (match && (keyIdInput.value === '' || keyIdInput.value === prefilledKeyId)) {
    keyIdInput.value = match[1];
    prefilledKeyId = match[1];
  }
}

$('key-file').addEventListener('change', () => loadKeyFile($('key-file').files[0]));
$('key-text').addEventListener('input', () => {
  if ($('key-text').value !== '') {
    fileKey = '';
    $('key-file').value = '';
    $('key-file-status').textContent = 'Using the pasted key.';
  }
});

const dropzone = $('dropzone');
for (const type of ['dragenter', 'dragover']) {
  dropzone.addEventListener(type, (event) => {
    event.preventDefault();
    dropzone.classList.add('dragging');
  });
}
dropzone.addEventListener('dragleave', () => dropzone.classList.remove('dragging'));
dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  dropzone.classList.remove('dragging');
  const files = event.dataTransfer && event.dataTransfer.files;
  if (files && files[0]) {
    // Show the dropped file in the picker too, so the page reads the same either way.
    try {
      $('key-file').files = files;
    } catch {
      /* older browsers: the status line still names the file */
    }
    loadKeyFile(files[0]);
  }
});
// A file dropped outside the box must not make the browser navigate to it.
window.addEventListener('dragover', (event) => event.preventDefault());
window.addEventListener('drop', (event) => event.preventDefault());

$('clear-key').addEventListener('click', () => {
  fileKey = '';
  $('key-text').value = '';
  $('key-file').value = '';
  $('key-file-status').textContent = 'Key cleared. No file chosen.';
  clearErrors({ key: 'key-error' });
});

$('individual').addEventListener('change', () => {
  const individual = $('individual').checked;
  $('issuer-id').disabled = individual;
  if (individual) $('issuer-id').value = '';
});

// ---------- mint ----------
function pretty(value) {
  return JSON.stringify(value, null, 2);
}

function decodePart(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Grows a read-only text area to show all of its text. */
function fitHeight(el) {
  el.style.height = 'auto';
  el.style.height = `${el.scrollHeight + 4}px`;
}

function tickCountdown() {
  const left = currentExp - nowSeconds();
  const el = $('countdown');
  if (left > 0) {
    const m = Math.floor(left / 60);
    const s = String(left % 60).padStart(2, '0');
    el.textContent = `Expires in ${m}:${s} (at ${new Date(currentExp * 1000).toLocaleTimeString()})`;
    el.classList.toggle('soon', left < 120);
    el.classList.remove('expired');
  } else {
    el.textContent = 'Expired: mint a new token.';
    el.classList.add('expired');
    clearInterval(countdownTimer);
  }
}

$('mint-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(ERROR_SLOTS);
  if (!wasm) {
    showError('form-error', { code: 'NOT_READY', message: 'The signing module has not loaded yet.' });
    return;
  }
  const pasted = $('key-text').value;
  const options = {
    keyId: $('key-id').value.trim(),
    privateKey: pasted.trim() !== '' ? pasted : fileKey,
  };
  if ($('individual').checked) options.individual = true;
  else options.issuerId = $('issuer-id').value.trim();
  const lifetimeText = $('lifetime').value.trim();
  if (lifetimeText !== '') {
    const lifetime = Number(lifetimeText);
    if (!Number.isInteger(lifetime) || lifetime < 0) {
      showFieldError({ code: 'LIFETIME_TOO_SHORT', message: 'The lifetime must be a whole number of seconds.' });
      return;
    }
    options.lifetimeSeconds = lifetime;
  }
  const scope = $('scope').value.split('\n').map((s) => s.trim()).filter(Boolean);
  if (scope.length > 0) options.scope = scope;

  let token;
  try {
    token = wasm.mintToken(options, nowSeconds());
  } catch (err) {
    $('mint-result').hidden = true;
    showFieldError(err);
    return;
  }
  const [h, p] = token.split('.');
  const payload = decodePart(p);
  $('token-out').value = token;
  $('curl-out').value = `curl -H "Authorization: Bearer ${token}" "${LIST_APPS_URL}"`;
  $('mint-header').textContent = pretty(decodePart(h));
  $('mint-payload').textContent = pretty(payload);
  $('copy-status').textContent = '';
  currentExp = payload.exp;
  clearInterval(countdownTimer);
  tickCountdown();
  countdownTimer = setInterval(tickCountdown, 1000);
  $('mint-result').hidden = false;
  fitHeight($('token-out'));
  fitHeight($('curl-out'));
  $('token-out').focus();
});

$('copy-token').addEventListener('click', async () => {
  const text = $('token-out').value;
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    $('token-out').select();
    ok = document.execCommand && document.execCommand('copy');
  }
  $('copy-status').textContent = ok ? 'Copied to the clipboard.' : 'Select the token and copy it with Ctrl+C / ⌘C.';
});

// ---------- inspect ----------
function addFact(dl, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

$('inspect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  for (const id of ['inspect-error', 'inspect-key-error']) {
    $(id).hidden = true;
    $(id).textContent = '';
  }
  $('inspect-token').removeAttribute('aria-invalid');
  $('inspect-key').removeAttribute('aria-invalid');
  if (!wasm) {
    showError('inspect-error', { code: 'NOT_READY', message: 'The signing module has not loaded yet.' });
    return;
  }
  const jwt = $('inspect-token').value.trim().replace(/^bearer\s+/i, '');
  const now = nowSeconds();
  let publicKey;
  const keyText = $('inspect-key').value.trim();
  if (keyText !== '') {
    try {
      publicKey = /PUBLIC KEY-----/.test(keyText) ? keyText : wasm.publicKeyPem(keyText);
    } catch (err) {
      showError('inspect-key-error', err, ['inspect-key']);
      return;
    }
  }
  let result;
  try {
    result = publicKey === undefined ? wasm.inspectToken(jwt, now) : wasm.inspectToken(jwt, now, publicKey);
  } catch (err) {
    $('inspect-result').hidden = true;
    showError('inspect-error', err, ['inspect-token']);
    $('inspect-token').focus();
    return;
  }
  renderInspection(result, now);
});

function renderInspection(result, now) {
  const problems = result.problems ?? [];
  $('inspect-verdict').textContent = problems.length === 0
    ? 'No problems found'
    : `${problems.length} problem${problems.length === 1 ? '' : 's'} found`;
  $('inspect-verdict').className = problems.length === 0 ? 'ok' : 'bad';
  const facts = $('inspect-facts');
  facts.textContent = '';
  const iat = result.issuedAt ?? result.payload?.iat;
  const exp = result.expiresAt ?? result.payload?.exp;
  addFact(facts, 'Issued', `${issuedInWords(iat, now)}${isoTime(iat) ? ` (${isoTime(iat)})` : ''}`);
  addFact(facts, 'Expires', `${expiryInWords(exp, now)}${isoTime(exp) ? ` (${isoTime(exp)})` : ''}`);
  if (typeof result.lifetimeSeconds === 'number') addFact(facts, 'Lifetime', `${result.lifetimeSeconds} s (limit 1200 s)`);
  const encoding = { raw: 'raw r‖s, 64 bytes (correct)', der: 'ASN.1 DER (Apple rejects this)' }[result.signatureEncoding] ?? 'unknown';
  addFact(facts, 'Signature', encoding);
  const verified = { true: 'verified with the key given', false: 'does NOT match the key given' }[String(result.signatureVerified)]
    ?? 'not checked (paste the public key to check it)';
  addFact(facts, 'Signature check', verified);

  const list = $('problems');
  list.textContent = '';
  for (const problem of problems) {
    const li = document.createElement('li');
    li.dataset.code = problem.code;
    const help = HELP[problem.code];
    const title = document.createElement('strong');
    title.textContent = help ? help[0] : problem.code;
    const message = document.createElement('p');
    message.textContent = problem.message;
    li.append(title, message);
    if (help) {
      const fix = document.createElement('p');
      fix.className = 'fix';
      fix.textContent = `Fix: ${help[1]}`;
      li.append(fix);
    }
    const code = document.createElement('code');
    code.className = 'code';
    code.textContent = problem.code;
    li.append(code);
    list.append(li);
  }
  $('inspect-header').textContent = pretty(result.header ?? null);
  $('inspect-payload').textContent = pretty(result.payload ?? null);
  $('inspect-result').hidden = false;
}

// ---------- load the wasm module ----------
try {
  wasm = await import('./pkg/index.browser.mjs');
  $('load-status').hidden = true;
  document.documentElement.dataset.ready = 'true';
} catch (err) {
  $('load-status').textContent = `The signing module could not be loaded (${err && err.message ? err.message : err}). Serve this page with "asc-connector web".`;
  $('load-status').classList.add('error');
  document.documentElement.dataset.ready = 'error';
}
