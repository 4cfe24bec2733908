// Cloudflare Workers entry (module worker). All configuration arrives in `env` (vars and secrets);
// the handler is built on the first request for each env object, so the clock is read only inside
// a request (at a Worker's top level Date.now() is 0). The wasm package resolves to its workerd
// entry through the "workerd" export condition and imports the .wasm as a compiled module.
import { handle } from '../src/handler.js';

export default {
  async fetch(request, env) {
    return handle(request, env);
  },
};
