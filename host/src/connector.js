// The connector package for one gateway: the committed connector definition with `host` set to the
// gateway, plus a paconn settings.json. Pure functions (no I/O), so the CLI command and the tests share
// them; `commands/connector.js` reads the committed files and writes the result.

/** The files a ready-to-import connector consists of, in the order they are written. */
export const CONNECTOR_FILES = ['apiDefinition.swagger.json', 'apiProperties.json', 'readme.md', 'settings.json'];

/** The Power Platform swagger schema's host rule: no braces, slashes, spaces, colons or backslashes, optional port. */
const SCHEMA_HOST = /^[^{}/ :\\]+(?::\d+)?$/;
/** One DNS label: letters, digits and inner hyphens, at most 63 characters. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** An environment ID as paconn's settings schema wants it. */
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A usage problem with a stable code; the CLI prints the message and exits 2. */
export class ConnectorInputError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ConnectorInputError';
    this.code = code;
  }
}

function describe(value) {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/**
 * Checks that `input` is a bare host name, optionally with a port (`gw.example.com`, `gw.example.com:8443`),
 * as the swagger `host` field needs it, and returns it lower-cased. Throws `HOST_INVALID` saying what was wrong.
 */
export function validateHost(input) {
  const accepted = 'give a bare host name such as gw.example.com or gw.example.com:8443';
  if (typeof input !== 'string' || input.trim() === '') {
    throw new ConnectorInputError('HOST_INVALID', `--host is empty: ${accepted}`);
  }
  const host = input;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(host)) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} has a scheme: leave out "${host.split('://')[0]}://" and ${accepted} (the connector always uses https)`);
  }
  if (/\s/.test(host)) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} contains whitespace: ${accepted}`);
  }
  if (/[/?#\\]/.test(host)) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} has a path, query or backslash: ${accepted} (the gateway serves /v1/apps at its root)`);
  }
  if (host.includes('@')) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} has user information: ${accepted}`);
  }
  if (!SCHEMA_HOST.test(host)) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} is not a host name with an optional :port: ${accepted}`);
  }
  const [name, port] = host.split(':');
  if (name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} is not a valid DNS name (letters, digits, inner hyphens, dot-separated labels of at most 63 characters): ${accepted}`);
  }
  if (port !== undefined) {
    const n = Number(port);
    if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
      throw new ConnectorInputError('HOST_INVALID', `--host ${describe(host)} has port ${describe(port)}: a port is 1 to 65535`);
    }
  }
  return host.toLowerCase();
}

/** Checks a Power Platform environment ID (a GUID). Throws `ENVIRONMENT_INVALID`. */
export function validateEnvironment(input) {
  if (typeof input !== 'string' || !GUID.test(input)) {
    throw new ConnectorInputError('ENVIRONMENT_INVALID', `--environment ${describe(String(input))} is not an environment ID: give the GUID shown in the Power Platform admin center, e.g. 00000000-0000-0000-0000-000000000000`);
  }
  return input.toLowerCase();
}

/** paconn's settings.json for the package (keys from paconn's settings schema). */
export function paconnSettings({ environment } = {}) {
  const settings = {};
  if (environment) settings.environment = environment;
  settings.apiProperties = 'apiProperties.json';
  settings.apiDefinition = 'apiDefinition.swagger.json';
  settings.powerAppsUrl = 'https://api.powerapps.com';
  settings.powerAppsApiVersion = '2016-11-01';
  return settings;
}

/**
 * Builds the package: `{ 'apiDefinition.swagger.json': text, 'apiProperties.json': text, 'readme.md': text,
 * 'settings.json': text }`. `sources` holds the committed texts of the first three files.
 */
export function buildConnectorPackage({ host, environment, sources }) {
  const gatewayHost = validateHost(host);
  const env = environment === undefined ? undefined : validateEnvironment(environment);
  let swagger;
  try {
    swagger = JSON.parse(sources.swagger);
  } catch (err) {
    throw new ConnectorInputError('SWAGGER_UNREADABLE', `the committed apiDefinition.swagger.json is not JSON (${err.message})`);
  }
  swagger.host = gatewayHost;
  return {
    'apiDefinition.swagger.json': `${JSON.stringify(swagger, null, 2)}\n`,
    'apiProperties.json': sources.properties,
    'readme.md': sources.readme,
    'settings.json': `${JSON.stringify(paconnSettings({ environment: env }), null, 2)}\n`,
  };
}
