// Node (import): compile the module synchronously from disk, then re-export the bindings.
import { readFileSync } from 'node:fs';
import { initSync } from './asc_connector.js';

initSync({ module: readFileSync(new URL('./asc_connector_bg.wasm', import.meta.url)) });

export * from './asc_connector.js';
