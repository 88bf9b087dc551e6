// The settings of a test stack (tests/testing/stack_fixture.sh writes them
// to DIR/stack.env) that the console tests need: SLUICE_VAR (its TLS
// certificate is $SLUICE_VAR/tls/cert.pem), SLUICE_PORT_BASE (ingest HTTPS
// on base+0, admin on base+1) and SLUICE_ADMIN_KEY.
import fs from 'node:fs';

// The file's NAME=value lines as an object; throws an Error saying what is
// wrong when it cannot be read or lacks one of the three.
export function readStackEnv(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e.message}`);
  }
  const env = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2].trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  for (const name of ['SLUICE_VAR', 'SLUICE_PORT_BASE', 'SLUICE_ADMIN_KEY']) {
    if (!env[name]) throw new Error(`${file} has no ${name}`);
  }
  const base = Number(env.SLUICE_PORT_BASE);
  if (!Number.isInteger(base) || base <= 0) throw new Error(`SLUICE_PORT_BASE is not a port: ${env.SLUICE_PORT_BASE}`);
  return env;
}
