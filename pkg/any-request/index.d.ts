// Types of the any-request module (asc-connector-wasm/any-request): every entry point exports the
// same two bindings, ready to use. Load the spec pack (asc-connector-wasm/spec-pack) once first.
export { loadSpecPack, planAnyRequest } from './asc_connector.js';
export type { AnyRequest, AnyRequestPlan, Problem, AscConnectorError } from './asc_connector.js';
