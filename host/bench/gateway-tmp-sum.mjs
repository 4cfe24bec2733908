import { readFileSync, readdirSync } from 'node:fs';
const dir = '/tmp/gwprof'; const f = readdirSync(dir)[0];
const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
// inclusive time per function name
const byId = new Map(p.nodes.map(n => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
const self = new Map(); p.samples.forEach((id, i) => self.set(id, (self.get(id) || 0) + (p.timeDeltas[i + 1] ?? 0)));
const incl = new Map();
for (const [id, us] of self) { const seen = new Set(); let cur = id; while (cur !== undefined) { const n = byId.get(cur); const key = `${n.callFrame.functionName}@${n.callFrame.url.split('/').slice(-1)[0]}:${n.callFrame.lineNumber+1}`; if (!seen.has(key)) { seen.add(key); incl.set(key, (incl.get(key) || 0) + us); } cur = parent.get(cur); } }
const selfBy = new Map(); for (const [id, us] of self) { const n = byId.get(id); const key = `${n.callFrame.functionName}@${n.callFrame.url.split('/').slice(-1)[0]}:${n.callFrame.lineNumber+1}`; selfBy.set(key, (selfBy.get(key) || 0) + us); }
console.log('--- inclusive'); for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log((v / 1000).toFixed(0).padStart(7), k);
console.log('--- self'); for (const [k, v] of [...selfBy].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(0).padStart(7), k);
