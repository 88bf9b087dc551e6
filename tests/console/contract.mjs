#!/usr/bin/env node
// Checks a running Sluice stack against docs/openapi.yaml: a scripted
// scenario calls every operation of the spec at least once and provokes the
// error answers that are cheap to provoke; each answer must have a status the
// operation documents, a body that validates against the documented schema
// for that status and content type, and the documented required headers.
//
//   node contract.mjs --stack-env FILE [--spec ../../docs/openapi.yaml] [--verbose]
//
// FILE holds SLUICE_VAR, SLUICE_PORT_BASE and SLUICE_ADMIN_KEY lines (as a
// test stack writes them). Ingest is HTTPS on base+0, admin on base+1, with
// the stack's self-signed certificate $SLUICE_VAR/tls/cert.pem.
// Exit status: 0 all good, 1 a failure, 2 a usage error.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

import { readStackEnv } from './stack_env.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// Where the spec's servers listen by default, and the stack's port for each.
const SERVER_OF_PORT = { 8443: 'ingest', 8444: 'admin' };

// ---------------------------------------------------------------- arguments

function usage(message) {
  if (message) console.error(`contract: ${message}`);
  console.error('usage: node contract.mjs --stack-env FILE [--spec openapi.yaml] [--verbose]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { spec: path.resolve(HERE, '../../docs/openapi.yaml'), verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--verbose' || arg === '-v') {
      args.verbose = true;
    } else if (arg === '--stack-env' || arg === '--spec') {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      args[arg === '--spec' ? 'spec' : 'stackEnv'] = argv[++i];
    } else if (arg === '--help' || arg === '-h') {
      usage();
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  if (!args.stackEnv) usage('--stack-env is required');
  return args;
}

// --------------------------------------------------------------------- spec

function escapePointer(token) {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

// A JSON pointer as a URI fragment, the way Ajv reads it.
function fragment(tokens) {
  return '#' + tokens.map((t) => '/' + encodeURIComponent(escapePointer(t))).join('');
}

class Spec {
  constructor(file) {
    this.doc = YAML.parse(fs.readFileSync(file, 'utf8'));
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // The whole document is one schema resource, so `#/components/...`
    // references inside any schema resolve against it.
    this.ajv.addSchema(this.doc, 'spec.json', undefined, false);
    this.validators = new Map();
    this.operations = [];
    for (const [template, item] of Object.entries(this.doc.paths)) {
      const server = this.serverOf(item);
      for (const method of METHODS) {
        if (!item[method]) continue;
        this.operations.push({
          id: item[method].operationId || `${method.toUpperCase()} ${template}`,
          method: method.toUpperCase(),
          template,
          server,
          operation: item[method],
          tokens: ['paths', template, method],
        });
      }
    }
  }

  // 'ingest' or 'admin', from the path's servers (else the document's).
  serverOf(item) {
    const servers = item.servers || this.doc.servers || [];
    const found = new Set();
    for (const s of servers) {
      const port = (s.url.match(/:(\d+)(?:\/|$)/) || [])[1];
      if (SERVER_OF_PORT[port]) found.add(SERVER_OF_PORT[port]);
    }
    if (found.size !== 1) throw new Error(`spec: cannot tell the server of ${JSON.stringify(servers)}`);
    return [...found][0];
  }

  // Follows a `$ref` to a local component: [object, pointer tokens].
  deref(object, tokens) {
    let guard = 0;
    while (object && object.$ref) {
      if (!object.$ref.startsWith('#/') || ++guard > 10) throw new Error(`spec: unsupported $ref ${object.$ref}`);
      tokens = object.$ref
        .slice(2)
        .split('/')
        .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
      object = tokens.reduce((o, t) => (o == null ? o : o[t]), this.doc);
    }
    return [object, tokens];
  }

  validator(tokens) {
    const ref = 'spec.json' + fragment(tokens);
    if (!this.validators.has(ref)) this.validators.set(ref, this.ajv.compile({ $ref: ref }));
    return this.validators.get(ref);
  }

  // Operations of `server` whose template matches `urlPath`, most literal first.
  match(server, urlPath) {
    const parts = urlPath.split('/');
    const scored = [];
    for (const op of this.operations) {
      if (op.server !== server) continue;
      const want = op.template.split('/');
      if (want.length !== parts.length) continue;
      let literal = 0;
      let ok = true;
      for (let i = 0; i < want.length && ok; i++) {
        if (/^\{[^}]+\}$/.test(want[i])) {
          ok = parts[i] !== '';
        } else {
          ok = want[i] === parts[i];
          literal++;
        }
      }
      if (ok) scored.push([literal, op]);
    }
    if (scored.length === 0) return [];
    const best = Math.max(...scored.map(([n]) => n));
    const template = scored.find(([n]) => n === best)[1].template;
    return scored.filter(([, op]) => op.template === template).map(([, op]) => op);
  }
}

// ------------------------------------------------------------------ harness

class Contract {
  constructor(spec, env, verbose) {
    this.spec = spec;
    this.verbose = verbose;
    this.adminKey = env.SLUICE_ADMIN_KEY;
    const base = Number(env.SLUICE_PORT_BASE);
    this.ports = { ingest: base, admin: base + 1 };
    const ca = fs.readFileSync(path.join(env.SLUICE_VAR, 'tls', 'cert.pem'));
    this.tls = { ca, servername: 'localhost' };
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 8, ...this.tls });
    this.requests = 0;
    this.failures = [];
    this.exercised = new Set();
  }

  fail(context, message) {
    const line = `${context}: ${message}`;
    this.failures.push(line);
    console.error(`FAIL ${line}`);
  }

  // A scenario-level expectation.
  check(condition, context, message) {
    if (!condition) this.fail(context, message);
    return Boolean(condition);
  }

  send(server, method, urlPath, headers, body) {
    return new Promise((resolve, reject) => {
      const request = https.request(
        {
          host: '127.0.0.1',
          port: this.ports[server],
          method,
          path: urlPath,
          headers,
          agent: this.agent,
          timeout: 30000,
          ...this.tls,
        },
        (response) => {
          const chunks = [];
          response.on('data', (c) => chunks.push(c));
          response.on('end', () =>
            resolve({ status: response.statusCode, headers: response.headers, raw: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out after 30 s')));
      request.on('error', reject);
      request.end(body);
    });
  }

  // Sends one request and checks the answer against the spec. `urlPath`
  // may carry a query. Options: body (object → JSON, string/Buffer as is),
  // headers (a null value drops a default), expect (status or list),
  // server ('ingest' | 'admin'; else /api/… and / are admin), op (an
  // operationId, for a URL the templates do not spell, such as a trailing
  // slash), admin (false: no admin key). Returns {status, headers, json, text}.
  async call(method, urlPath, opts = {}) {
    const server = opts.server || (urlPath === '/' || urlPath.startsWith('/api/') ? 'admin' : 'ingest');
    const [pathOnly] = urlPath.split('?');
    const context = `${method} ${urlPath.length > 160 ? urlPath.slice(0, 160) + '…' : urlPath} (${server})`;
    let candidates = opts.op
      ? this.spec.operations.filter((o) => o.id === opts.op)
      : this.spec.match(server, pathOnly);
    if (candidates.length === 0) {
      this.fail(context, 'no path of the spec matches this URL');
      return { status: 0, headers: {}, json: undefined, text: '' };
    }
    const template = candidates[0].template;
    candidates = this.spec.operations.filter((o) => o.template === template && o.server === server);
    const op = candidates.find((o) => o.method === method);

    const headers = {};
    if (server === 'admin' && opts.admin !== false) headers.authorization = `Bearer ${this.adminKey}`;
    let body = opts.body;
    if (body !== undefined && !(typeof body === 'string' || Buffer.isBuffer(body))) {
      body = JSON.stringify(body);
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(opts.headers || {})) {
      if (value === null) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);

    const expected = opts.expect === undefined ? null : [].concat(opts.expect);
    // A 503 (a backend, or the edge behind the TLS front, restarting) is
    // checked like any answer, then the request is retried: a 503 promises
    // that nothing was written.
    for (let attempt = 1; ; attempt++) {
      const retry = attempt < 4 && expected !== null && !expected.includes(503);
      const result = await this.attempt(context, op, candidates, server, method, urlPath, headers, body, expected, retry);
      if (!retry || result.status !== 503) return result;
      const wait = Math.min(Number(result.headers['retry-after']) || 1, 5);
      console.error(`note: ${context} answered 503; retrying in ${wait} s`);
      await sleep(wait * 1000);
    }
  }

  // One try of call(); with `retry`, a 503 is not held against `expected`.
  async attempt(context, op, candidates, server, method, urlPath, headers, body, expected, retry) {
    let answer;
    this.requests++;
    try {
      answer = await this.send(server, method, urlPath, headers, body);
    } catch (e) {
      this.fail(context, `request failed: ${e.message}`);
      return { status: 0, headers: {}, json: undefined, text: '' };
    }
    const text = answer.raw.toString('utf8');
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const result = { status: answer.status, headers: answer.headers, json, text };
    if (this.verbose) console.log(`${context} -> ${answer.status} ${text.slice(0, 200)}`);
    if (op) {
      this.exercised.add(op.id);
      this.checkAnswer(context, op, answer, text, json);
    } else {
      this.checkUndeclaredMethod(context, candidates, answer, text, json);
    }
    if (retry && answer.status === 503) return result;
    if (expected && !expected.includes(answer.status)) {
      this.fail(context, `expected ${expected.join(' or ')}, got ${answer.status} ${text.slice(0, 300)}`);
    }
    return result;
  }

  // A method the path does not offer: a documented 405 whose Allow header
  // names exactly the path's methods.
  checkUndeclaredMethod(context, pathOps, answer, text, json) {
    const unavailable = answer.status === 503 && pathOps.find((o) => o.operation.responses?.['503']);
    if (unavailable) {
      this.checkAnswer(context, unavailable, answer, text, json);
      return;
    }
    if (answer.status !== 405) {
      this.fail(context, `the path does not offer this method, yet the answer is ${answer.status}`);
      return;
    }
    const documenting = pathOps.find((o) => o.operation.responses?.['405']);
    if (!documenting) {
      this.fail(context, 'answered 405, but no operation of this path documents a 405');
      return;
    }
    this.checkAnswer(context, documenting, answer, text, json);
    const allow = (answer.headers.allow || '')
      .split(',')
      .map((m) => m.trim().toUpperCase())
      .filter(Boolean)
      .sort();
    const offered = pathOps.map((o) => o.method).sort();
    this.check(
      JSON.stringify(allow) === JSON.stringify(offered),
      context,
      `Allow is "${answer.headers.allow}", the spec's methods are ${offered.join(', ')}`,
    );
  }

  checkAnswer(context, op, answer, text, json) {
    const responses = op.operation.responses || {};
    const code = String(answer.status);
    const key = [code, `${code[0]}XX`, 'default'].find((k) => responses[k]);
    if (!key) {
      this.fail(context, `status ${code} is not documented for ${op.id} (documented: ${Object.keys(responses).join(', ')}); body ${text.slice(0, 300)}`);
      return;
    }
    const [response, tokens] = this.spec.deref(responses[key], [...op.tokens, 'responses', key]);
    const where = `${context} [${op.id} ${key}]`;

    for (const [name, declared] of Object.entries(response.headers || {})) {
      const [header, headerTokens] = this.spec.deref(declared, [...tokens, 'headers', name]);
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) this.fail(where, `required header ${name} is missing`);
        continue;
      }
      if (!header.schema) continue;
      const validate = this.spec.validator([...headerTokens, 'schema']);
      const type = this.spec.deref(header.schema, [])[0].type;
      const typed = (type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      if (!validate(typed)) this.fail(where, `header ${name}: "${value}" ${this.errors(validate)}`);
    }

    const content = response.content || {};
    const mediaTypes = Object.keys(content);
    if (mediaTypes.length === 0) {
      if (answer.raw.length > 0) this.fail(where, `no body is documented, got ${answer.raw.length} bytes`);
      return;
    }
    const type = (answer.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    const media = mediaTypes.find((m) => m.toLowerCase() === type);
    if (!media) {
      this.fail(where, `content type "${answer.headers['content-type']}" is not documented (${mediaTypes.join(', ')})`);
      return;
    }
    if (!content[media].schema) return;
    let value = text;
    if (/[/+]json$/.test(media)) {
      if (json === undefined) {
        this.fail(where, `the body is not JSON: ${text.slice(0, 200)}`);
        return;
      }
      value = json;
    }
    const validate = this.spec.validator([...tokens, 'content', media, 'schema']);
    if (!validate(value)) this.fail(where, `body ${text.slice(0, 300)} ${this.errors(validate)}`);
  }

  errors(validate) {
    return (validate.errors || [])
      .slice(0, 6)
      .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`)
      .join('; ');
  }

  // A call to the admin API, with the admin key unless told otherwise.
  admin(method, urlPath, opts = {}) {
    return this.call(method, urlPath, { server: 'admin', ...opts });
  }
}

// ------------------------------------------------------------------ signing

const hmac = (algorithm, key, data) => crypto.createHmac(algorithm, key).update(data).digest();
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const errorCode = (answer) => answer.json?.error?.code;

// Headers that authenticate `body` for `listener`: its `auth` config and
// `secret` (the token, password or HMAC secret, generated or chosen). A
// token read from the query is added to the URL by the caller.
function credentials(listener, body) {
  const { auth, secret } = listener;
  switch (auth.method) {
    case 'none':
      return {};
    case 'token':
      if (auth.readFrom === 'header') return { [auth.name]: secret };
      if (auth.readFrom === 'authorization') return { authorization: `${auth.prefix} ${secret}` };
      return {};
    case 'basic':
      return { authorization: 'Basic ' + Buffer.from(`${auth.username}:${secret}`).toString('base64') };
    case 'hmac': {
      const t = String(nowSeconds());
      switch (auth.preset) {
        case 'github':
          return { 'x-hub-signature-256': 'sha256=' + hmac('sha256', secret, body).toString('hex') };
        case 'shopify':
          return { 'x-shopify-hmac-sha256': hmac('sha256', secret, body).toString('base64') };
        case 'stripe':
          return { 'stripe-signature': `t=${t},v1=` + hmac('sha256', secret, `${t}.${body}`).toString('hex') };
        case 'standard-webhooks': {
          const id = listener.deliveryId || `msg_${crypto.randomBytes(6).toString('hex')}`;
          const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
          return {
            'webhook-id': id,
            'webhook-timestamp': t,
            'webhook-signature': 'v1,' + hmac('sha256', key, `${id}.${t}.${body}`).toString('base64'),
          };
        }
        case 'generic': {
          const mac = hmac(auth.algorithm || 'sha256', secret, body);
          return { [auth.header]: (auth.prefix || '') + mac.toString(auth.encoding === 'base64' ? 'base64' : 'hex') };
        }
      }
    }
  }
  throw new Error(`cannot sign for ${JSON.stringify(auth)}`);
}

// ----------------------------------------------------------------- scenario

async function scenario(c) {
  const rnd = crypto.randomBytes(4).toString('hex');
  const created = { listeners: [] };
  const unknownUuid = crypto.randomUUID();

  // The console and the admin key.
  await c.admin('GET', '/', { admin: false, expect: 200 });
  await c.admin('POST', '/', { admin: false, expect: 405 });
  await c.admin('GET', '/console.js', { admin: false, expect: 200 });
  await c.admin('GET', '/console.css', { admin: false, expect: 200 });
  await c.admin('GET', `/missing-${rnd}.js`, { admin: false, expect: 404 });
  await c.admin('DELETE', '/console.css', { admin: false, expect: 405 });
  await c.admin('GET', '/api/v1/integrations', { admin: false, expect: 401 });
  await c.admin('GET', '/api/v1/integrations', { headers: { authorization: 'Bearer wrong-admin-key-0000' }, expect: 401 });

  // Integrations.
  const name = `contract-${rnd}`;
  const made = await c.admin('POST', '/api/v1/integrations', { body: { name }, expect: 201 });
  if (made.status !== 201) throw new Error('cannot create an integration; stopping');
  const integration = made.json;
  const I = `/api/v1/integrations/${integration.uuid}`;
  try {
    await c.admin('POST', '/api/v1/integrations', { body: { name }, expect: 409 });
    const bad = await c.admin('POST', '/api/v1/integrations', { body: '{"name":', expect: 400 });
    c.check(errorCode(bad) === 'malformed_json', 'POST integrations bad JSON', `code ${errorCode(bad)}`);
    await c.admin('POST', '/api/v1/integrations', { body: 'name=x', headers: { 'content-type': 'text/plain' }, expect: 415 });
    await c.admin('POST', '/api/v1/integrations', { body: {}, expect: 400 });
    const list = await c.admin('GET', '/api/v1/integrations', { expect: 200 });
    c.check(list.json?.integrations?.some((i) => i.uuid === integration.uuid), 'GET integrations', 'the new integration is not listed');
    const got = await c.admin('GET', I, { expect: 200 });
    c.check(got.json?.name === name, `GET ${I}`, 'wrong name');
    await c.admin('GET', `/api/v1/integrations/${unknownUuid}`, { expect: 404 });
    await c.admin('PUT', '/api/v1/integrations', { body: {}, expect: 405 });
    await c.admin('PATCH', I, { body: {}, expect: 405 });

    await listenersAndIngest(c, rnd, I, integration.uuid, created);
  } finally {
    await cleanup(c, I, created);
  }
}

async function listenersAndIngest(c, rnd, I, integrationUuid, created) {
  const unknownUuid = crypto.randomUUID();
  const sample = { id: 1, name: 'a', total: 1.5, items: [{ sku: 'x', qty: 1 }] };
  const structure = (base, extra = {}) => ({
    baseName: `c_${rnd}_${base}`,
    rootPath: '',
    primaryKey: ['id'],
    sample,
    ...extra,
  });

  // Creates a listener (`chosen`: the secret given in `auth`, which must
  // not be echoed); returns what ingest needs to authenticate.
  const make = async (key, auth, extra = {}, chosen) => {
    const body = { name: `${key}-${rnd}`, auth, structure: structure(key), ...extra };
    const r = await c.admin('POST', `${I}/listeners`, { body, expect: 201 });
    if (r.status !== 201) throw new Error(`cannot create listener ${key}; stopping`);
    const l = r.json;
    created.listeners.push(l.uuid);
    const generated = r.json.token || r.json.password || r.json.secret;
    c.check(
      chosen ? generated === undefined : auth.method === 'none' || typeof generated === 'string',
      `POST ${I}/listeners (${key})`,
      chosen ? 'a chosen secret was echoed' : 'no generated credential in the answer',
    );
    c.check(l.url?.endsWith(`/${integrationUuid}/${l.uuid}`), `POST ${I}/listeners (${key})`, `url ${l.url}`);
    return {
      key,
      uuid: l.uuid,
      name: l.name,
      auth: { ...auth, ...l.auth },
      secret: chosen || generated,
      admin: `${I}/listeners/${l.uuid}`,
      url: `/${integrationUuid}/${l.uuid}`,
    };
  };

  const token = await make('token', { method: 'token', readFrom: 'header', name: 'X-Api-Token' }, { maxBodyBytes: 1024 });
  const query = await make('query', { method: 'token', readFrom: 'query', name: 'tk' });
  const defaults = await c.admin('GET', query.admin, { expect: 200 });
  c.check(defaults.json?.maxBodyBytes === 65536 && defaults.json?.script === '', `GET ${query.admin}`, 'default maxBodyBytes or script');
  // Enum-like values are accepted in any case and answered in lowercase.
  const bearer = await make('bearer', { method: 'TOKEN', readFrom: 'Authorization', prefix: 'Bearer' });
  c.check(bearer.auth.method === 'token' && bearer.auth.readFrom === 'authorization', 'POST listeners (upper case)', JSON.stringify(bearer.auth));
  const basic = await make('basic', { method: 'basic', username: 'uxi' });
  const github = await make('github', { method: 'hmac', preset: 'github', secret: `gh-${rnd}` }, {}, `gh-${rnd}`);
  const stripe = await make('stripe', { method: 'hmac', preset: 'stripe' });
  const shopify = await make('shopify', { method: 'hmac', preset: 'shopify', secret: `sh-${rnd}` }, {}, `sh-${rnd}`);
  const standard = await make('standard', { method: 'hmac', preset: 'standard-webhooks' });
  const generic = await make(
    'generic',
    { method: 'hmac', preset: 'generic', header: 'X-Signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sig=', secret: `ge-${rnd}` },
    {},
    `ge-${rnd}`,
  );
  const script = await make('script', { method: 'none' }, {
    script: "function transform(r)\n  if r.total and r.total < 0 then error('total must not be negative') end\n  return r\nend",
  });
  const limited = await make('limited', { method: 'token', readFrom: 'header', name: 'X-Api-Token' });
  const rows = await make('rows', { method: 'none' }, { maxBodyBytes: 4 * 1024 * 1024 });
  const replay = await make('replay', { method: 'token', readFrom: 'header', name: 'X-Api-Token' }, { maxBodyBytes: 1024 });
  const compositeBody = {
    name: `composite-${rnd}`,
    auth: { method: 'none' },
    structure: { baseName: `c_${rnd}_composite`, primaryKey: ['site', 'test'], sample: { site: 's', test: 't', v: 1 } },
  };
  const compositeMade = await c.admin('POST', `${I}/listeners`, { body: compositeBody, expect: 201 });
  if (compositeMade.status !== 201) throw new Error('cannot create the composite-key listener; stopping');
  created.listeners.push(compositeMade.json.uuid);
  const composite = {
    uuid: compositeMade.json.uuid,
    auth: { method: 'none' },
    admin: `${I}/listeners/${compositeMade.json.uuid}`,
    url: `/${integrationUuid}/${compositeMade.json.uuid}`,
  };

  // Listener errors.
  const L = `${I}/listeners`;
  const dup = await c.admin('POST', L, { body: { name: token.name, auth: { method: 'none' }, structure: structure('dup') }, expect: 409 });
  c.check(errorCode(dup) === 'conflict', 'POST listeners (taken name)', `code ${errorCode(dup)}`);
  const taken = await c.admin('POST', L, { body: { name: `taken-${rnd}`, auth: { method: 'none' }, structure: structure('token') }, expect: 409 });
  c.check(errorCode(taken) === 'table_exists', 'POST listeners (taken table)', `code ${errorCode(taken)}`);
  const badSample = await c.admin('POST', L, {
    body: { name: `bad-${rnd}`, auth: { method: 'none' }, structure: structure('bad', { primaryKey: ['missing'] }) },
    expect: 400,
  });
  c.check(errorCode(badSample) === 'invalid_sample', 'POST listeners (bad sample)', `code ${errorCode(badSample)}`);
  await c.admin('POST', L, { body: { name: `noauth-${rnd}`, structure: structure('noauth') }, expect: 400 });
  await c.admin('POST', `/api/v1/integrations/${unknownUuid}/listeners`, {
    body: { name: `x-${rnd}`, auth: { method: 'none' }, structure: structure('unknown') },
    expect: 404,
  });
  await c.admin('POST', L, { body: '{}', headers: { 'content-type': 'text/plain' }, expect: 415 });
  const listed = await c.admin('GET', L, { expect: 200 });
  c.check(listed.json?.listeners?.length === created.listeners.length, `GET ${L}`, `${listed.json?.listeners?.length} listeners listed, ${created.listeners.length} created`);
  await c.admin('GET', `/api/v1/integrations/${unknownUuid}/listeners`, { expect: 404 });
  await c.admin('DELETE', L, { expect: 405 });
  const got = await c.admin('GET', token.admin, { expect: 200 });
  c.check(got.json && !('token' in got.json) && got.json.maxBodyBytes === 1024 && got.json.retention === null, `GET ${token.admin}`, got.text.slice(0, 200));
  const patched = await c.admin('PATCH', token.admin, { body: { retention: '1h' }, expect: 200 });
  c.check(patched.json?.retention === '1h', `PATCH ${token.admin}`, `retention ${patched.json?.retention}`);
  await c.admin('PATCH', token.admin, { body: { name: 'renamed' }, expect: 400 });
  await c.admin('PATCH', token.admin, { body: { retention: 'soon' }, expect: 400 });
  await c.admin('PATCH', `${L}/${unknownUuid}`, { body: { retention: '1h' }, expect: 404 });
  await c.admin('GET', `${L}/${unknownUuid}`, { expect: 404 });
  await c.admin('PUT', token.admin, { body: {}, expect: 405 });

  // Ingest, token in a header.
  const ingest = (method, l, opts = {}) => {
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers = { ...(opts.sign === false ? {} : credentials(l, body ?? '')), ...(opts.headers || {}) };
    return c.call(method, `${l.url}${opts.suffix || ''}`, { server: 'ingest', body, headers, expect: opts.expect, op: opts.op });
  };
  let r = await ingest('POST', token, { body: sample, expect: 200 });
  c.check(r.json?.records === 1, 'POST ingest', r.text);
  r = await ingest('POST', token, { body: [{ id: 2 }, { id: 3 }], expect: 200 });
  c.check(r.json?.records === 2, 'POST ingest batch', r.text);
  await ingest('PUT', token, { body: { id: 1, name: 'b', items: [] }, expect: 200 });
  await ingest('PATCH', token, { body: { id: 1, total: 2.5 }, expect: 200 });
  r = await ingest('PATCH', token, { body: { id: 999, total: 1 }, expect: 404 });
  c.check(errorCode(r) === 'record_not_found', 'PATCH missing record', `code ${errorCode(r)}`);
  const key = `delivery-${rnd}`;
  const first = await ingest('POST', token, { body: [{ id: 4 }, { id: 5 }], headers: { 'idempotency-key': key }, expect: 200 });
  c.check(first.headers['idempotent-replayed'] === undefined, 'POST with a new Idempotency-Key', 'marked as replayed');
  r = await ingest('POST', token, { body: { id: 4, name: 'changed' }, headers: { 'idempotency-key': key }, expect: 200 });
  c.check(r.headers['idempotent-replayed'] === 'true', 'POST with a repeated Idempotency-Key', 'no Idempotent-Replayed: true');
  c.check(r.text === first.text, 'POST with a repeated Idempotency-Key', `body ${r.text}, first ${first.text}`);
  await ingest('DELETE', token, { suffix: '/5', expect: 200 });
  await ingest('POST', token, { body: '{"id":8}', headers: { 'content-type': 'application/json; charset=UTF-8' }, expect: 200 });
  await ingest('POST', token, { body: '{"id":8}', headers: { 'content-type': 'application/json; charset=latin1' }, expect: 415 });
  await ingest('DELETE', token, { suffix: '/8', expect: 200 });
  r = await ingest('POST', token, { body: { id: 5 }, sign: false, expect: 401 });
  c.check(/missing/.test(r.json?.error?.message || ''), 'POST without token', r.text);
  r = await ingest('POST', token, { body: { id: 5 }, headers: { 'x-api-token': 'wrong' }, expect: 401 });
  c.check(/invalid/.test(r.json?.error?.message || ''), 'POST with a wrong token', r.text);
  r = await ingest('POST', token, { body: '{"id":', expect: 400 });
  c.check(errorCode(r) === 'malformed_json', 'POST malformed JSON', `code ${errorCode(r)}`);
  r = await ingest('POST', token, { body: { id: 'x' }, expect: 400 });
  c.check(errorCode(r) === 'type_mismatch', 'POST wrong type', `code ${errorCode(r)}`);
  await ingest('POST', token, { body: '{"id":6}', headers: { 'content-type': 'text/plain' }, expect: 415 });
  r = await ingest('POST', token, { body: { id: 6, name: 'n'.repeat(1500) }, expect: 413 });
  c.check(errorCode(r) === 'body_too_large', 'POST over maxBodyBytes', `code ${errorCode(r)}`);
  await ingest('GET', token, { expect: 405 });
  await c.call('POST', `/${integrationUuid}/${unknownUuid}`, { server: 'ingest', body: { id: 1 }, expect: 404 });
  await c.call('DELETE', `/${unknownUuid}/${unknownUuid}/1`, { server: 'ingest', expect: 404 });
  r = await ingest('DELETE', token, { suffix: '/2', expect: 200 });
  c.check(r.json?.deleted === 1, 'DELETE by id', r.text);
  r = await ingest('DELETE', token, { suffix: '/2', expect: 200 });
  c.check(r.json?.deleted === 0, 'DELETE a missing record', r.text);
  r = await ingest('DELETE', token, { suffix: '?id=3', expect: 200 });
  c.check(r.json?.deleted === 1, 'DELETE by key query', r.text);
  await ingest('DELETE', token, { suffix: '/abc', expect: 400 });
  await ingest('POST', token, { suffix: '/2', body: { id: 2 }, expect: 405 });

  // Every other kind of credential.
  await c.call('POST', `${query.url}?tk=${encodeURIComponent(query.secret)}`, { server: 'ingest', body: { id: 1 }, expect: 200 });
  await c.call('POST', `${query.url}?tk=wrong`, { server: 'ingest', body: { id: 1 }, expect: 401 });
  await ingest('POST', bearer, { body: { id: 1 }, expect: 200 });
  await ingest('POST', bearer, { body: { id: 1 }, headers: { authorization: 'Bearer wrong' }, expect: 401 });
  await ingest('POST', basic, { body: { id: 1 }, expect: 200 });
  r = await ingest('POST', basic, { body: { id: 1 }, headers: { authorization: 'Basic ' + Buffer.from('uxi:wrong').toString('base64') }, expect: 401 });
  c.check(/^Basic /.test(r.headers['www-authenticate'] || ''), '401 of a basic listener', `WWW-Authenticate "${r.headers['www-authenticate']}"`);
  r = await ingest('POST', token, { body: { id: 7 }, headers: { 'x-api-token': 'wrong' }, expect: 401 });
  c.check(r.headers['www-authenticate'] === undefined, '401 of a token listener', 'has WWW-Authenticate');
  await ingest('POST', github, { body: { id: 1 }, expect: 200 });
  await ingest('POST', github, { body: { id: 1 }, headers: { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) }, expect: 401 });
  await ingest('POST', stripe, { body: { id: 1 }, expect: 200 });
  await ingest('POST', shopify, { body: { id: 1 }, expect: 200 });
  standard.deliveryId = `msg_${rnd}`;
  await ingest('POST', standard, { body: { id: 1 }, expect: 200 });
  r = await ingest('POST', standard, { body: { id: 1 }, expect: 200 });
  c.check(r.headers['idempotent-replayed'] === 'true', 'repeated webhook-id', 'no Idempotent-Replayed: true');
  await ingest('PUT', generic, { body: { id: 1 }, expect: 200 });
  await ingest('POST', generic, { body: { id: 1 }, headers: { 'x-signature': 'sig=AAAA' }, expect: 401 });

  // Composite keys.
  await ingest('POST', composite, { body: [{ site: 'a b', test: 'x', v: 1 }, { site: 'a b', test: 'y', v: 2 }], expect: 200 });
  r = await ingest('DELETE', composite, { suffix: '?site=a%20b&test=y', expect: 200 });
  c.check(r.json?.deleted === 1, 'DELETE by composite key', r.text);
  r = await ingest('DELETE', composite, { suffix: '/?site=a%20b&test=nope', op: 'deleteRecordByKeyQuery', expect: 200 });
  c.check(r.json?.deleted === 0, 'DELETE by composite key, trailing slash', r.text);
  r = await ingest('DELETE', composite, { suffix: '?site=a', expect: 400 });
  c.check(errorCode(r) === 'invalid_key', 'DELETE with a key field missing', `code ${errorCode(r)}`);
  await ingest('DELETE', composite, { suffix: '/x', expect: 400 });

  // More than 100,000 rows from one request (10,000 records of 11 items).
  const many = JSON.stringify(Array.from({ length: 10000 }, (_, i) => ({ id: i, items: Array.from({ length: 11 }, () => ({ qty: 1 })) })));
  r = await ingest('POST', rows, { body: many, expect: 413 });
  c.check(errorCode(r) === 'too_many_rows', 'POST over 100,000 rows', `code ${errorCode(r)}`);

  // A script that rejects.
  r = await ingest('POST', script, { body: [{ id: 1, total: 1 }, { id: 2, total: -1 }], expect: 422 });
  c.check(/negative/.test(r.json?.error?.message || ''), 'POST rejected by the script', r.text);
  await ingest('POST', script, { body: { id: 3, total: 1 }, expect: 200 });

  // Repeated failed authentication.
  let limitedAnswer;
  for (let i = 0; i < 30; i++) {
    limitedAnswer = await ingest('POST', limited, { body: { id: 1 }, headers: { 'x-api-token': 'wrong' }, expect: [401, 429] });
    if (limitedAnswer.status === 429) break;
  }
  c.check(limitedAnswer?.status === 429, 'repeated failed authentication', `still ${limitedAnswer?.status} after 30 tries`);
  await ingest('POST', limited, { body: { id: 1 }, expect: 429 });

  // Records.
  const R = `${token.admin}/records`;
  const page1 = await c.admin('GET', `${R}?limit=1`, { expect: 200 });
  c.check(page1.json?.records?.[0]?.id === 1 && typeof page1.json?.nextPageToken === 'string', `GET ${R}?limit=1`, page1.text.slice(0, 200));
  if (typeof page1.json?.nextPageToken === 'string') {
    const page2 = await c.admin('GET', `${R}?limit=5&pageToken=${encodeURIComponent(page1.json.nextPageToken)}`, { expect: 200 });
    c.check(page2.json?.records?.length === 1 && page2.json?.nextPageToken === null, `GET ${R} page 2`, page2.text.slice(0, 200));
  }
  await c.admin('GET', `${R}?limit=0`, { expect: 400 });
  r = await c.admin('GET', `${R}?pageToken=not-a-token`, { expect: 400 });
  c.check(errorCode(r) === 'invalid_page_token', `GET ${R} bad pageToken`, `code ${errorCode(r)}`);
  r = await c.admin('GET', `${R}/1`, { expect: 200 });
  c.check(r.json?.name === 'b' && r.json?.total === 2.5 && typeof r.json?.lastModified === 'string', `GET ${R}/1`, r.text.slice(0, 200));
  r = await c.admin('GET', `${R}/999`, { expect: 404 });
  c.check(errorCode(r) === 'record_not_found', `GET ${R}/999`, `code ${errorCode(r)}`);
  await c.admin('GET', `${R}/abc`, { expect: 400 });
  await c.admin('POST', R, { body: {}, expect: 405 });
  await c.admin('DELETE', `${R}/1`, { expect: 405 });
  await c.admin('GET', `${L}/${unknownUuid}/records`, { expect: 404 });
  r = await c.admin('GET', `${composite.admin}/records/?site=a%20b&test=x`, { expect: 200 });
  c.check(r.json?.v === 1, 'GET a record by composite key', r.text.slice(0, 200));
  await c.admin('GET', `${composite.admin}/records/?site=a%20b`, { expect: 400 });
  await c.admin('GET', `${composite.admin}/records/?site=a%20b&test=gone`, { expect: 404 });
  await c.admin('GET', `${composite.admin}/records/x`, { expect: 400 });

  // Retention.
  r = await c.admin('POST', `${token.admin}/retention/run`, { expect: 200 });
  c.check(r.json?.deleted === 0, 'retention run', r.text);
  await c.admin('POST', `${L}/${unknownUuid}/retention/run`, { expect: 404 });
  await c.admin('GET', `${token.admin}/retention/run`, { expect: 405 });

  // Regenerated credentials (after the ingest above: the old ones retire).
  r = await c.admin('POST', `${token.admin}/token`, { expect: 200 });
  c.check(typeof r.json?.token === 'string' && r.json.token !== token.secret, 'rotate a token', r.text);
  r = await c.admin('POST', `${basic.admin}/token`, { expect: 200 });
  c.check(typeof r.json?.password === 'string', 'rotate a basic password', r.text);
  r = await c.admin('POST', `${github.admin}/token`, { expect: 200 });
  c.check(typeof r.json?.secret === 'string', 'rotate an hmac secret', r.text);
  r = await c.admin('POST', `${composite.admin}/token`, { expect: 409 });
  c.check(errorCode(r) === 'failed_precondition', 'rotate with auth none', `code ${errorCode(r)}`);
  await c.admin('POST', `${L}/${unknownUuid}/token`, { expect: 404 });
  await c.admin('GET', `${token.admin}/token`, { expect: 405 });

  await tools(c, rnd);
  await logs(c, integrationUuid, replay, ingest);
}

async function tools(c, rnd) {
  const G = '/api/v1/tables/generate';
  const base = `c_${rnd}_preview`;
  let r = await c.admin('POST', G, { body: { baseName: base, primaryKey: ['id'], sample: { id: 1, tags: ['a'] } }, expect: 200 });
  c.check(r.json?.tables?.length === 2 && r.json.tables[1].name === `${base}_tags`, `POST ${G}`, r.text.slice(0, 200));
  await c.admin('POST', G, { body: { baseName: base, primaryKey: ['id'] }, expect: 400 });
  await c.admin('POST', G, { body: { baseName: base, primaryKey: ['nope'], sample: { id: 1 } }, expect: 400 });
  await c.admin('POST', G, { body: '{}', headers: { 'content-type': 'text/plain' }, expect: 415 });
  await c.admin('GET', G, { expect: 405 });
  // Over the TLS front's 10 MiB bound: its own JSON 413.
  const huge = JSON.stringify({ baseName: base, primaryKey: ['id'], sample: { id: 1, pad: 'p'.repeat(10 * 1024 * 1024 + 16) } });
  r = await c.admin('POST', G, { body: huge, expect: 413 });
  c.check(errorCode(r) === 'body_too_large', `POST ${G} over 10 MiB`, `code ${errorCode(r)}`);

  const S = '/api/v1/scripts/test';
  r = await c.admin('POST', S, {
    body: { script: 'function transform(r) if r.skip then return nil end r.seen = true return r end', body: [{ id: 1 }, { id: 2, skip: true }] },
    expect: 200,
  });
  c.check(r.json?.records?.length === 1 && r.json.records[0].seen === true, `POST ${S}`, r.text);
  r = await c.admin('POST', S, { body: { script: "function transform(r) error('no') end", body: '{"id":1}' }, expect: 422 });
  c.check(/no/.test(r.json?.error?.message || ''), `POST ${S} rejecting`, r.text);
  r = await c.admin('POST', S, { body: { script: 'function transform(r', body: {} }, expect: 400 });
  c.check(errorCode(r) === 'invalid_script', `POST ${S} syntax error`, `code ${errorCode(r)}`);
  await c.admin('POST', S, { body: { body: {} }, expect: 400 });
  await c.admin('POST', S, { body: '{', expect: 400 });
  await c.admin('PUT', S, { body: {}, expect: 405 });
}

async function logs(c, integrationUuid, l, ingest) {
  // One of each: a body over the limit (replayable), a success, a failed
  // authentication (not replayable) and a type mismatch (replayable).
  await ingest('POST', l, { body: { id: 1, note: 'n'.repeat(1500) }, expect: 413 });
  await ingest('POST', l, { body: { id: 1 }, expect: 200 });
  await ingest('POST', l, { body: { id: 2 }, headers: { 'x-api-token': 'wrong' }, expect: 401 });
  await ingest('POST', l, { body: { id: 'x' }, expect: 400 });

  const query = `/api/v1/logs?integration=${integrationUuid}&listener=${encodeURIComponent(l.name)}`;
  let entries = [];
  for (let i = 0; i < 50; i++) {
    const r = await c.admin('GET', query, { expect: 200 });
    entries = r.json?.entries || [];
    if (entries.length >= 4) break;
    await sleep(200);
  }
  if (!c.check(entries.length === 4, `GET ${query}`, `${entries.length} entries, expected 4`)) return;
  const [typeError, unauthorized, success, tooLarge] = entries;
  c.check(
    typeError.status === 400 && unauthorized.status === 401 && success.status === 200 && tooLarge.status === 413,
    `GET ${query}`,
    `statuses ${entries.map((e) => e.status).join(', ')}, expected newest first 400, 401, 200, 413`,
  );
  c.check(tooLarge.replayable && typeError.replayable && !unauthorized.replayable && !success.replayable, `GET ${query}`, 'replayable flags');
  let r = await c.admin('GET', `${query}&state=error`, { expect: 200 });
  c.check(r.json?.entries?.length === 3, 'logs state=error', `${r.json?.entries?.length} entries`);
  r = await c.admin('GET', `${query}&state=SUCCESS&limit=5`, { expect: 200 });
  c.check(r.json?.entries?.length === 1, 'logs state=SUCCESS', `${r.json?.entries?.length} entries`);
  await c.admin('GET', '/api/v1/logs?state=maybe', { expect: 400 });
  await c.admin('GET', '/api/v1/logs?limit=0', { expect: 400 });
  await c.admin('POST', '/api/v1/logs', { body: {}, expect: 405 });

  r = await c.admin('GET', `/api/v1/logs/${tooLarge.id}`, { expect: 200 });
  c.check(r.json?.body?.length > 1500 && r.json?.headers && !('x-api-token' in r.json.headers), 'GET a replayable entry', r.text.slice(0, 200));
  r = await c.admin('GET', `/api/v1/logs/${unauthorized.id}`, { expect: 200 });
  c.check(r.json && !('body' in r.json), 'GET an entry that is not replayable', r.text.slice(0, 200));
  await c.admin('GET', '/api/v1/logs/999999999999', { expect: 404 });
  await c.admin('GET', '/api/v1/logs/abc', { expect: 404 });
  await c.admin('DELETE', `/api/v1/logs/${success.id}`, { expect: 405 });

  r = await c.admin('POST', `/api/v1/logs/${success.id}/replay`, { expect: 409 });
  c.check(errorCode(r) === 'not_replayable', 'replay a success', `code ${errorCode(r)}`);
  await c.admin('POST', `/api/v1/logs/${unauthorized.id}/replay`, { expect: 409 });
  r = await c.admin('POST', `/api/v1/logs/${typeError.id}/replay`, { expect: 400 });
  c.check(errorCode(r) === 'type_mismatch', 'replay a type mismatch', `code ${errorCode(r)}`);
  await c.admin('POST', `/api/v1/logs/${tooLarge.id}/replay`, { expect: 413 });
  await c.admin('PATCH', l.admin, { body: { maxBodyBytes: 4096 }, expect: 200 });
  r = await c.admin('POST', `/api/v1/logs/${tooLarge.id}/replay`, { expect: 200 });
  c.check(r.json?.records === 1, 'replay after raising maxBodyBytes', r.text);
  await c.admin('POST', '/api/v1/logs/999999999999/replay', { expect: 404 });
  await c.admin('POST', '/api/v1/logs/abc/replay', { expect: 404 });
  await c.admin('GET', `/api/v1/logs/${tooLarge.id}/replay`, { expect: 405 });
  for (let i = 0; i < 50; i++) {
    r = await c.admin('GET', query, { expect: 200 });
    if (r.json?.entries?.[0]?.replayOf === tooLarge.id) break;
    await sleep(200);
  }
  c.check(r.json?.entries?.[0]?.replayOf === tooLarge.id, 'the replay is logged', r.text.slice(0, 300));
}

async function cleanup(c, I, created) {
  if (created.listeners.length > 0) {
    const r = await c.admin('DELETE', I, { expect: 409 });
    c.check(r.json?.error?.code === 'has_listeners', `DELETE ${I} with listeners`, r.text);
  }
  for (const uuid of created.listeners) {
    await c.admin('DELETE', `${I}/listeners/${uuid}`, { expect: 204 });
  }
  if (created.listeners.length > 0) {
    await c.admin('DELETE', `${I}/listeners/${created.listeners[0]}`, { expect: 404 });
  }
  await c.admin('DELETE', I, { expect: 204 });
  await c.admin('GET', I, { expect: 404 });
  await c.admin('DELETE', I, { expect: 404 });
}

// --------------------------------------------------------------------- main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let env;
  try {
    env = readStackEnv(args.stackEnv);
  } catch (e) {
    usage(e.message);
  }
  let spec;
  try {
    spec = new Spec(args.spec);
  } catch (e) {
    console.error(`contract: cannot load ${args.spec}: ${e.message}`);
    process.exit(1);
  }
  const c = new Contract(spec, env, args.verbose);
  try {
    await scenario(c);
  } catch (e) {
    c.fail('scenario', e.stack || e.message);
  }
  c.agent.destroy();
  const missing = spec.operations.filter((o) => !c.exercised.has(o.id));
  for (const o of missing) c.fail(o.id, `${o.method} ${o.template} was never exercised`);
  console.log(`contract: ${spec.operations.length} operations, ${c.requests} requests, ${c.failures.length} failures`);
  process.exit(c.failures.length === 0 ? 0 : 1);
}

main();
