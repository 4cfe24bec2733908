// Browsers and Deno: fetch and instantiate the module next to this file before exporting.
import init from './asc_connector.js';

await init({ module_or_path: new URL('./asc_connector_bg.wasm', import.meta.url) });

export * from './asc_connector.js';
