// Cloudflare Workers (workerd) and other loaders that import .wasm files as compiled modules.
import wasmModule from './asc_connector_bg.wasm';
import { initSync } from './asc_connector.js';

initSync({ module: wasmModule });

export * from './asc_connector.js';
