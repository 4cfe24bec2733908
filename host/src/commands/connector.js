// `asc-connector connector --host HOST`: writes a ready-to-import copy of the connector definition for one
// gateway (swagger with `host` set, apiProperties.json, readme.md) and a paconn settings.json. Usage
// mistakes (unknown flags, bad host or environment) exit 2 with one line on stderr.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConnectorPackage, CONNECTOR_FILES, ConnectorInputError } from '../connector.js';
import { parseFlags, reportError, UsageError } from '../cli.js';

/** The repository root, where the committed connector definition lives. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const HELP = `Usage: asc-connector connector --host HOST [--out DIR] [--environment GUID]

Writes a ready-to-import custom connector for your gateway into DIR (default ./connector-package):
  apiDefinition.swagger.json   the connector definition with "host" set to HOST
  apiProperties.json           connection parameters and policies
  readme.md                    how to get credentials and use the actions
  settings.json                paconn settings (environment included when given)

Options:
  --host HOST          The gateway's public host name, optionally with a port (gw.example.com,
                       gw.example.com:8443); no scheme, no path. Required.
  --out DIR            Where to write the files (created if missing; these four files are replaced).
  --environment GUID   The Power Platform environment ID to put in settings.json.
  --help               Show this help.

Then import it with one of (from inside DIR):
  paconn create --settings settings.json
  pac connector create --api-definition-file apiDefinition.swagger.json --api-properties-file apiProperties.json
`;

/** Reads the committed connector files from the repository. */
export function readSources(root = ROOT) {
  const read = (rel) => fs.readFileSync(path.join(root, rel), 'utf8');
  return {
    swagger: read('apiDefinition.swagger.json'),
    properties: read('apiProperties.json'),
    readme: read(path.join('connector', 'readme.md')),
  };
}

export async function run(argv, io) {
  let flags;
  let files;
  try {
    let positionals;
    ({ flags, positionals } = parseFlags(argv, { host: 'string', out: 'string', environment: 'string', help: 'boolean' }));
    if (flags.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError('the connector command takes options only (accepted: --host, --out, --environment, --help)');
    if (flags.host === undefined) throw new UsageError('--host is required: the gateway host name, e.g. --host gw.example.com');
    files = buildConnectorPackage({ host: flags.host, environment: flags.environment, sources: readSources() });
  } catch (err) {
    if (err instanceof ConnectorInputError) return reportError(io, 'connector', new UsageError(err.message));
    if (err instanceof UsageError) return reportError(io, 'connector', err);
    throw err;
  }
  const out = path.resolve(flags.out ?? 'connector-package');
  fs.mkdirSync(out, { recursive: true });
  for (const name of CONNECTOR_FILES) fs.writeFileSync(path.join(out, name), files[name]);
  const host = JSON.parse(files['apiDefinition.swagger.json']).host;
  io.stdout.write(`Wrote a connector for https://${host} to ${out}:\n`);
  for (const name of CONNECTOR_FILES) io.stdout.write(`  ${name}\n`);
  // settings.json names the files relative to the directory paconn runs in, hence the cd.
  io.stdout.write(`Import it with: cd ${JSON.stringify(out)} && paconn create --settings settings.json`
    + `${flags.environment === undefined ? ' --environment <environment GUID>' : ''}\n`);
  return 0;
}
