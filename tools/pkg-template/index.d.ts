// Types of every entry point: they all export the same bindings, ready to use (already initialised).
export {
  mintToken,
  TokenMinter,
  inspectToken,
  publicKeyPem,
  planRequest,
  shapeResponse,
  operations,
  errorCodes,
} from './asc_connector.js';
export type {
  TokenOptions,
  Problem,
  TokenInspection,
  RequestPlan,
  ShapeOptions,
  ShapedResponse,
  AscConnectorError,
} from './asc_connector.js';
