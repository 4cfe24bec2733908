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
  loadSpecPack,
  planAnyRequest,
} from './asc_connector.js';
export type {
  TokenOptions,
  Problem,
  TokenInspection,
  RequestPlan,
  ShapeOptions,
  ShapedResponse,
  AscConnectorError,
  AnyRequest,
  AnyRequestPlan,
} from './asc_connector.js';
