// Types of the signer entry (`asc-connector-wasm/signer`): key intake, minting and the public key
// only, in a module a fraction of the full one's size. Every entry exports the same bindings,
// ready to use (already initialised). Errors carry the same codes as the full module's.
export { mintToken, TokenMinter, publicKeyPem } from './asc_connector.js';
export type { TokenOptions, Problem, AscConnectorError } from './asc_connector.js';
