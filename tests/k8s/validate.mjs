// Offline checks of Sluice's rendered Kubernetes manifests.
//
//   node validate.mjs [--source-dir DIR] [--name NAME] [--require grpc-mtls] FILE...
//   node validate.mjs --list-checks
//
// FILE holds the output of `kubectl kustomize` (many YAML documents). Every
// object is validated against the Kubernetes 1.27 schema of its kind
// (kubernetes-models; cert-manager objects by hand), then each policy check
// below runs over the whole set. A failure prints
//   FAIL <check>: <object> [container <name>]: <what is wrong and why>
// and the exit status is 1; 0 when every check passes, 2 on a usage error.
//
// Which SLUICE_* variables each binary reads is taken from the C++ sources
// under --source-dir (default: the repository holding this file): every
// "SLUICE_..." string literal in common/ and in services/<service>/,
// unit tests left out.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { SERVICES, envReadBy } from "./sources.mjs";

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "[::]"]);
// The longest /readyz answer: the edge checks schema, auth and storage for
// up to 0.5 s each.
const READYZ_SECONDS = 1.5;
// How long a stopping Sluice process answers requests it already has.
const DRAIN_SECONDS = 10;
const TLS_VARS = ["SLUICE_GRPC_TLS_CERT_FILE", "SLUICE_GRPC_TLS_KEY_FILE", "SLUICE_GRPC_TLS_CA_FILE"];
const CONNECTION_AGE_VARS = ["SLUICE_GRPC_MAX_CONNECTION_AGE_MS", "SLUICE_GRPC_MAX_CONNECTION_AGE_GRACE_MS"];
// Keys of the Secret cert-manager writes for a Certificate.
const CERTIFICATE_KEYS = ["tls.crt", "tls.key", "ca.crt"];
const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];
const PROBES = ["startupProbe", "readinessProbe", "livenessProbe"];

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const args = { sourceDir: path.resolve(here, "..", ".."), name: "", require: new Set(), files: [], list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--source-dir") args.sourceDir = path.resolve(value());
    else if (a === "--name") args.name = value();
    else if (a === "--require") args.require.add(value());
    else if (a === "--list-checks") args.list = true;
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else args.files.push(a);
  }
  for (const r of args.require) if (r !== "grpc-mtls") usage(`unknown requirement ${r} (known: grpc-mtls)`);
  if (!args.list && args.files.length === 0) usage("no manifest file given");
  return args;
}

function usage(message) {
  console.error(`validate.mjs: ${message}`);
  console.error("usage: node validate.mjs [--source-dir DIR] [--name NAME] [--require grpc-mtls] FILE...");
  console.error("       node validate.mjs --list-checks");
  process.exit(2);
}

// ---------------------------------------------------------------------------
// The rendered objects and what the checks ask of them

function loadObjects(files) {
  const objects = [];
  const errors = [];
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, "utf8"));
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        errors.push(`${file}: ${doc.errors[0].message}`);
        continue;
      }
      const obj = doc.toJS();
      if (obj !== null && obj !== undefined) objects.push(obj);
    }
  }
  return { objects, errors };
}

const nsOf = (obj) => obj?.metadata?.namespace ?? "";
const nameOf = (obj) => obj?.metadata?.name ?? "<unnamed>";
const refOf = (obj) => `${obj?.kind ?? "<no kind>"}/${nameOf(obj)}`;

function podTemplate(obj) {
  switch (obj.kind) {
    case "Pod":
      return { metadata: obj.metadata ?? {}, spec: obj.spec ?? {} };
    case "CronJob":
      return obj.spec?.jobTemplate?.spec?.template;
    default:
      return obj.spec?.template;
  }
}

class Manifests {
  constructor(objects, readBy) {
    this.objects = objects;
    this.readBy = readBy;
    this.index = new Map();
    for (const obj of objects) this.index.set(`${obj.kind}|${nsOf(obj)}|${nameOf(obj)}`, obj);
    this.workloads = [];
    for (const obj of objects) {
      if (!WORKLOAD_KINDS.includes(obj.kind)) continue;
      const template = podTemplate(obj);
      if (!template?.spec) continue;
      const spec = template.spec;
      const containers = [
        ...(spec.initContainers ?? []).map((c) => ({ c, init: true, sidecar: c.restartPolicy === "Always" })),
        ...(spec.containers ?? []).map((c) => ({ c, init: false, sidecar: false })),
      ];
      const w = { obj, ns: nsOf(obj), ref: refOf(obj), labels: template.metadata?.labels ?? {},
                  annotations: template.metadata?.annotations ?? {}, spec, containers };
      for (const entry of containers) {
        entry.service = sluiceService(entry.c);
        entry.where = `${w.ref} container ${entry.c.name}`;
      }
      this.workloads.push(w);
    }
    // Secrets cert-manager will write: namespace|secretName.
    this.certificateSecrets = new Set(
      objects.filter((o) => o.kind === "Certificate" && o.spec?.secretName)
        .map((o) => `${nsOf(o)}|${o.spec.secretName}`));
  }

  get(kind, ns, name) {
    return this.index.get(`${kind}|${ns}|${name}`);
  }

  ofKind(kind) {
    return this.objects.filter((o) => o.kind === kind);
  }

  // Keys a Secret or ConfigMap provides, or null when nothing provides it.
  keysOf(kind, ns, name) {
    if (kind === "Secret" && this.certificateSecrets.has(`${ns}|${name}`)) return new Set(CERTIFICATE_KEYS);
    const obj = this.get(kind, ns, name);
    if (!obj) return null;
    const maps = kind === "Secret" ? [obj.data, obj.stringData] : [obj.data, obj.binaryData];
    return new Set(maps.flatMap((m) => Object.keys(m ?? {})));
  }

  // The value of a Secret or ConfigMap key, when the manifests hold it.
  valueOf(kind, ns, name, key) {
    const obj = this.get(kind, ns, name);
    if (!obj) return undefined;
    if (kind === "Secret") {
      if (obj.stringData?.[key] !== undefined) return String(obj.stringData[key]);
      if (obj.data?.[key] !== undefined) return Buffer.from(String(obj.data[key]), "base64").toString("utf8");
      return undefined;
    }
    return obj.data?.[key] === undefined ? undefined : String(obj.data[key]);
  }

  // The environment a container starts with: name -> {value, source}.
  // value is undefined when it is not known before the pod runs.
  envOf(w, c) {
    const env = new Map();
    for (const from of c.envFrom ?? []) {
      const prefix = from.prefix ?? "";
      const kind = from.configMapRef ? "ConfigMap" : "Secret";
      const name = (from.configMapRef ?? from.secretRef)?.name;
      for (const key of this.keysOf(kind, w.ns, name) ?? []) {
        env.set(prefix + key, { value: this.valueOf(kind, w.ns, name, key), source: { kind, name, key }, envFrom: true });
      }
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
      if (ref) {
        const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
        env.set(e.name, { value: this.valueOf(kind, w.ns, ref.name, ref.key), source: { kind, name: ref.name, key: ref.key } });
      } else if (e.valueFrom) {
        env.set(e.name, { value: undefined, source: { kind: "field" } });
      } else {
        env.set(e.name, { value: e.value === undefined ? "" : String(e.value), source: { kind: "literal" } });
      }
    }
    return env;
  }

  // Where an absolute path inside container c comes from: {mount, volume,
  // file} with file the name inside the volume, or null when no volume
  // mount holds it.
  fileOf(w, c, filePath) {
    let best = null;
    for (const m of c.volumeMounts ?? []) {
      const mp = m.mountPath.replace(/\/+$/, "");
      let file;
      if (m.subPath) {
        if (filePath !== mp) continue;
        file = m.subPath;
      } else if (filePath.startsWith(mp + "/")) {
        file = filePath.slice(mp.length + 1);
      } else {
        continue;
      }
      if (!best || mp.length > best.length) best = { length: mp.length, mount: m, file };
    }
    if (!best) return null;
    const volume = (w.spec.volumes ?? []).find((v) => v.name === best.mount.name);
    return { mount: best.mount, volume, file: best.file };
  }

  // The files a Secret, ConfigMap or projected volume holds: file name ->
  // {kind, name, key}. null for other volume types.
  volumeFiles(ns, volume) {
    if (!volume) return null;
    const sources = [];
    if (volume.secret) sources.push({ kind: "Secret", name: volume.secret.secretName, items: volume.secret.items });
    else if (volume.configMap) sources.push({ kind: "ConfigMap", name: volume.configMap.name, items: volume.configMap.items });
    else if (volume.projected) {
      for (const s of volume.projected.sources ?? []) {
        if (s.secret) sources.push({ kind: "Secret", name: s.secret.name, items: s.secret.items });
        if (s.configMap) sources.push({ kind: "ConfigMap", name: s.configMap.name, items: s.configMap.items });
      }
    } else {
      return null;
    }
    const files = new Map();
    for (const s of sources) {
      if (s.items) {
        for (const item of s.items) files.set(item.path, { kind: s.kind, name: s.name, key: item.key });
      } else {
        for (const key of this.keysOf(s.kind, ns, s.name) ?? []) files.set(key, { kind: s.kind, name: s.name, key });
      }
    }
    return files;
  }

  // The workloads whose pod templates a label selector matches.
  selected(ns, selector) {
    return this.workloads.filter((w) => w.ns === ns && selectorMatches(selector, w.labels));
  }
}

// The Sluice service a container runs, from its image (sluice-auth,
// registry.example.com/sluice/auth:0.1.0, ...), or null.
function sluiceService(c) {
  const repo = String(c.image ?? "").replace(/@.*$/, "").replace(/:[^/:]*$/, "");
  const last = repo.split("/").pop();
  const base = last.replace(/^sluice-/, "");
  if (!SERVICES.includes(base)) return null;
  return /sluice/.test(repo) || c.name === base ? base : null;
}

function selectorMatches(selector, labels) {
  if (!selector) return false;
  const matchLabels = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

// A probe's port as a number, resolved against the container's ports.
function portNumber(c, port) {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(String(port))) return Number(port);
  return (c.ports ?? []).find((p) => p.name === port)?.containerPort;
}

function probePorts(c) {
  const out = [];
  for (const probe of PROBES) {
    const p = c[probe];
    if (!p) continue;
    for (const handler of ["httpGet", "tcpSocket", "grpc"]) {
      if (p[handler]?.port !== undefined) out.push({ probe, handler, port: p[handler].port });
    }
  }
  return out;
}

function sidecarOrMain(entry) {
  return !entry.init || entry.sidecar;
}

// Seconds a preStop hook waits, when it is a plain sleep.
function preStopSeconds(c) {
  const hook = c.lifecycle?.preStop;
  if (!hook) return 0;
  if (hook.sleep?.seconds !== undefined) return Number(hook.sleep.seconds);
  const cmd = hook.exec?.command ?? [];
  const i = cmd.findIndex((part) => /(^|\/)sleep$/.test(part));
  if (i >= 0 && /^\d+(\.\d+)?$/.test(cmd[i + 1] ?? "")) return Number(cmd[i + 1]);
  const shell = cmd.join(" ").match(/\bsleep\s+(\d+)/);
  return shell ? Number(shell[1]) : 0;
}

// The Services whose targetPort reaches a container port: [{service, port}].
function servicesReaching(m, w, c) {
  const out = [];
  for (const svc of m.ofKind("Service")) {
    if (nsOf(svc) !== w.ns || !svc.spec?.selector || !selectorMatches(svc.spec.selector, w.labels)) continue;
    for (const p of svc.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const cp = (c.ports ?? []).find((cp) => (typeof target === "number" || /^\d+$/.test(String(target)))
        ? cp.containerPort === Number(target) : cp.name === target);
      if (cp) out.push({ service: svc, port: cp.containerPort });
    }
  }
  return out;
}

// The gRPC port a Sluice server binds, from SLUICE_GRPC_ADDRESS.
function grpcBinding(env) {
  const address = env.get("SLUICE_GRPC_ADDRESS")?.value;
  if (address === undefined) return null;
  const m = String(address).match(/^(.*):(\d+)$/);
  return m ? { host: m[1], port: Number(m[2]) } : { host: address, port: undefined };
}

function opsPort(env) {
  const v = env.get("SLUICE_OPS_PORT")?.value;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

// ---------------------------------------------------------------------------
// Schema validation

const CERT_MANAGER_KINDS = new Set(["Certificate", "Issuer", "ClusterIssuer"]);
const CERTIFICATE_USAGES = new Set(["signing", "digital signature", "content commitment", "key encipherment",
  "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
  "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system",
  "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"]);
const ISSUER_TYPES = ["acme", "ca", "vault", "selfSigned", "venafi"];

// cert-manager.io/v1 has no schema in kubernetes-models: its required
// fields are checked here.
function certManagerErrors(obj) {
  const errors = [];
  const spec = obj.spec;
  if (typeof spec !== "object" || spec === null) return ["spec is required"];
  if (obj.kind === "Certificate") {
    if (typeof spec.secretName !== "string" || spec.secretName === "") errors.push("spec.secretName is required");
    if (typeof spec.issuerRef?.name !== "string") errors.push("spec.issuerRef.name is required");
    if (spec.issuerRef?.kind !== undefined && !["Issuer", "ClusterIssuer"].includes(spec.issuerRef.kind) &&
        (spec.issuerRef.group ?? "cert-manager.io") === "cert-manager.io") {
      errors.push(`spec.issuerRef.kind ${spec.issuerRef.kind} is neither Issuer nor ClusterIssuer`);
    }
    const names = ["commonName", "dnsNames", "uris", "ipAddresses", "emailAddresses", "literalSubject"];
    if (!names.some((n) => spec[n] !== undefined && spec[n].length !== 0)) {
      errors.push("spec names no subject (commonName, dnsNames, uris, ipAddresses or emailAddresses)");
    }
    for (const list of ["dnsNames", "uris", "ipAddresses", "emailAddresses", "usages"]) {
      if (spec[list] !== undefined && (!Array.isArray(spec[list]) || spec[list].some((v) => typeof v !== "string"))) {
        errors.push(`spec.${list} must be a list of strings`);
      }
    }
    for (const u of Array.isArray(spec.usages) ? spec.usages : []) {
      if (!CERTIFICATE_USAGES.has(u)) errors.push(`spec.usages has unknown usage "${u}"`);
    }
    const algorithm = spec.privateKey?.algorithm;
    if (algorithm !== undefined && !["RSA", "ECDSA", "Ed25519"].includes(algorithm)) {
      errors.push(`spec.privateKey.algorithm ${algorithm} is not RSA, ECDSA or Ed25519`);
    }
  } else {
    const types = ISSUER_TYPES.filter((t) => spec[t] !== undefined);
    if (types.length !== 1) errors.push(`spec must set exactly one of ${ISSUER_TYPES.join(", ")} (has ${types.length})`);
    if (spec.ca !== undefined && typeof spec.ca?.secretName !== "string") errors.push("spec.ca.secretName is required");
  }
  return errors;
}

// The API server decodes Secret data as Go does, skipping line breaks, and
// kustomize wraps long base64 values: unwrap them before the schema's
// "byte" format sees them.
function forValidation(obj) {
  if ((obj.kind !== "Secret" && obj.kind !== "ConfigMap") || obj.apiVersion !== "v1") return obj;
  const field = obj.kind === "Secret" ? "data" : "binaryData";
  if (!obj[field] || typeof obj[field] !== "object") return obj;
  const unwrapped = Object.fromEntries(Object.entries(obj[field]).map(([k, v]) =>
    [k, typeof v === "string" ? v.replace(/[\r\n]/g, "") : v]));
  return { ...obj, [field]: unwrapped };
}

const modelCache = new Map();

async function modelClass(apiVersion, kind) {
  const key = `${apiVersion}|${kind}`;
  if (modelCache.has(key)) return modelCache.get(key);
  let cls = null;
  if (/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
      cls = mod[kind] ?? null;
    } catch (e) {
      if (e?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && e?.code !== "ERR_MODULE_NOT_FOUND") throw e;
    }
  }
  modelCache.set(key, cls);
  return cls;
}

async function checkSchema(m, fail) {
  for (const obj of m.objects) {
    const where = refOf(obj);
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      fail(where, "has no apiVersion or kind");
      continue;
    }
    if (typeof obj.metadata?.name !== "string" || obj.metadata.name === "") fail(where, "has no metadata.name");
    if (obj.apiVersion === "cert-manager.io/v1" && CERT_MANAGER_KINDS.has(obj.kind)) {
      for (const e of certManagerErrors(obj)) fail(where, `cert-manager.io/v1 ${obj.kind}: ${e}`);
      continue;
    }
    const cls = await modelClass(obj.apiVersion, obj.kind);
    if (!cls) {
      fail(where, `no schema for apiVersion ${obj.apiVersion} kind ${obj.kind} (a misspelt kind or ` +
        "apiVersion, or a custom resource this check does not know)");
      continue;
    }
    try {
      new cls(forValidation(obj)).validate();
    } catch (e) {
      const details = e?.errors?.map((x) => `${x.instancePath || "/"} ${x.message}`) ?? [String(e?.message ?? e)];
      for (const d of details) fail(where, `${obj.apiVersion} ${obj.kind} schema: ${d}`);
    }
    if (obj.kind === "Secret" && obj.type === "kubernetes.io/tls") {
      const keys = m.keysOf("Secret", nsOf(obj), nameOf(obj));
      for (const k of ["tls.crt", "tls.key"]) if (!keys.has(k)) fail(where, `a kubernetes.io/tls Secret needs key ${k}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Policy checks. Each takes the manifests, the options and fail(where, message).

const CHECKS = [
  {
    name: "schema",
    about: "every object is valid for its apiVersion/kind (Kubernetes 1.27; cert-manager by hand)",
    run: (m, opts, fail) => checkSchema(m, fail),
  },
  {
    name: "probes",
    about: "every container has a readiness and a liveness probe",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!sidecarOrMain(e)) continue;
          for (const probe of ["readinessProbe", "livenessProbe"]) {
            if (!e.c[probe]) fail(e.where, `has no ${probe}`);
          }
        }
      }
    },
  },
  {
    name: "resources",
    about: "every container requests cpu and memory and limits memory",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          const r = e.c.resources ?? {};
          if (r.requests?.cpu === undefined) fail(e.where, "requests no cpu");
          if (r.requests?.memory === undefined) fail(e.where, "requests no memory");
          if (r.limits?.memory === undefined) fail(e.where, "has no memory limit");
        }
      }
    },
  },
  {
    name: "security-context",
    about: "every container runs as non-root, read-only root, no privilege escalation, no capabilities, seccomp",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        const pod = w.spec.securityContext ?? {};
        for (const e of w.containers) {
          const sc = e.c.securityContext ?? {};
          if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) fail(e.where, "does not set runAsNonRoot: true (pod or container)");
          if ((sc.runAsUser ?? pod.runAsUser) === 0) fail(e.where, "runs as uid 0");
          if (sc.readOnlyRootFilesystem !== true) fail(e.where, "does not set readOnlyRootFilesystem: true");
          if (sc.allowPrivilegeEscalation !== false) fail(e.where, "does not set allowPrivilegeEscalation: false");
          if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(e.where, "does not drop ALL capabilities");
          if (sc.privileged === true) fail(e.where, "is privileged");
          const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
          if (!["RuntimeDefault", "Localhost"].includes(seccomp)) fail(e.where, "has no RuntimeDefault seccomp profile (pod or container)");
        }
      }
    },
  },
  {
    name: "sluice-env",
    about: "every SLUICE_* variable a Sluice container gets is one its binary reads (from the C++ sources)",
    run(m, opts, fail) {
      const viaEnvFrom = new Map(); // "Kind|name|prefix" -> {services, where}
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          const reads = m.readBy[e.service];
          for (const v of e.c.env ?? []) {
            if (v.name.startsWith("SLUICE_") && !reads.has(v.name)) {
              fail(e.where, `env ${v.name} is read by no code of sluice-${e.service} ` +
                `(no "${v.name}" in common/ or services/${e.service}/)`);
            }
          }
          for (const from of e.c.envFrom ?? []) {
            const kind = from.configMapRef ? "ConfigMap" : "Secret";
            const key = `${kind}|${w.ns}|${(from.configMapRef ?? from.secretRef)?.name}|${from.prefix ?? ""}`;
            if (!viaEnvFrom.has(key)) viaEnvFrom.set(key, new Set());
            viaEnvFrom.get(key).add(e.service);
          }
        }
      }
      // A ConfigMap shared by every service carries settings for some of
      // them: each key must be read by at least one container it reaches.
      for (const [key, services] of viaEnvFrom) {
        const [kind, ns, name, prefix] = key.split("|");
        for (const k of m.keysOf(kind, ns, name) ?? []) {
          const v = prefix + k;
          if (v.startsWith("SLUICE_") && ![...services].some((s) => m.readBy[s].has(v))) {
            fail(`${kind}/${name}`, `key ${v} (envFrom of ${[...services].sort().join(", ")}) is read by none of them`);
          }
        }
      }
    },
  },
  {
    name: "references",
    about: "every Secret, ConfigMap and key that env, envFrom, volumes and Issuers name exists",
    run(m, opts, fail) {
      const need = (where, what, kind, ns, name, key, optional) => {
        if (optional) return;
        const keys = m.keysOf(kind, ns, name);
        if (keys === null) {
          fail(where, `${what}: ${kind} ${name} is not in the manifests` +
            (kind === "Secret" ? " (nor issued by a cert-manager Certificate)" : ""));
        } else if (key !== undefined && !keys.has(key)) {
          fail(where, `${what}: ${kind} ${name} has no key ${key} (it has ${[...keys].sort().join(", ") || "none"})`);
        }
      };
      for (const w of m.workloads) {
        for (const e of w.containers) {
          for (const v of e.c.env ?? []) {
            const s = v.valueFrom?.secretKeyRef;
            const c = v.valueFrom?.configMapKeyRef;
            if (s) need(e.where, `env ${v.name}`, "Secret", w.ns, s.name, s.key, s.optional);
            if (c) need(e.where, `env ${v.name}`, "ConfigMap", w.ns, c.name, c.key, c.optional);
          }
          for (const from of e.c.envFrom ?? []) {
            if (from.configMapRef) need(e.where, "envFrom", "ConfigMap", w.ns, from.configMapRef.name, undefined, from.configMapRef.optional);
            if (from.secretRef) need(e.where, "envFrom", "Secret", w.ns, from.secretRef.name, undefined, from.secretRef.optional);
          }
        }
        for (const v of w.spec.volumes ?? []) {
          const where = `${w.ref} volume ${v.name}`;
          const sources = [];
          if (v.secret) sources.push(["Secret", v.secret.secretName, v.secret.items, v.secret.optional]);
          if (v.configMap) sources.push(["ConfigMap", v.configMap.name, v.configMap.items, v.configMap.optional]);
          for (const s of v.projected?.sources ?? []) {
            if (s.secret) sources.push(["Secret", s.secret.name, s.secret.items, s.secret.optional]);
            if (s.configMap) sources.push(["ConfigMap", s.configMap.name, s.configMap.items, s.configMap.optional]);
          }
          for (const [kind, name, items, optional] of sources) {
            need(where, "volume", kind, w.ns, name, undefined, optional);
            for (const item of items ?? []) need(where, `volume item ${item.path}`, kind, w.ns, name, item.key, optional);
          }
        }
      }
      for (const cert of m.ofKind("Certificate")) {
        const ref = cert.spec?.issuerRef;
        if (ref?.name && (ref.kind ?? "Issuer") === "Issuer" && (ref.group ?? "cert-manager.io") === "cert-manager.io" &&
            !m.get("Issuer", nsOf(cert), ref.name)) {
          fail(refOf(cert), `issuerRef: Issuer ${ref.name} is not in the manifests`);
        }
      }
      for (const issuer of m.ofKind("Issuer")) {
        const secret = issuer.spec?.ca?.secretName;
        if (secret) need(refOf(issuer), "spec.ca.secretName", "Secret", nsOf(issuer), secret, "tls.key");
      }
    },
  },
  {
    name: "mounted-files",
    about: "every *_FILE variable names a file a Secret or ConfigMap volume mount provides",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          for (const [name, v] of m.envOf(w, e.c)) {
            if (!name.endsWith("_FILE") || !v.value?.startsWith("/")) continue;
            const found = m.fileOf(w, e.c, v.value);
            if (!found) {
              fail(e.where, `${name}=${v.value} is under no volume mount`);
              continue;
            }
            if (!found.volume) {
              fail(e.where, `${name}=${v.value}: the pod has no volume ${found.mount.name}`);
              continue;
            }
            const files = m.volumeFiles(w.ns, found.volume);
            if (files && !files.has(found.file)) {
              fail(e.where, `${name}=${v.value}: volume ${found.volume.name} provides no file ${found.file}` +
                ` (it provides ${[...files.keys()].sort().join(", ") || "none"})`);
            }
          }
        }
      }
    },
  },
  {
    name: "service-selectors",
    about: "every Service selects some pod template and every targetPort is a containerPort of it",
    run(m, opts, fail) {
      for (const svc of m.ofKind("Service")) {
        const selector = svc.spec?.selector;
        if (!selector || Object.keys(selector).length === 0) continue;
        const pods = m.selected(nsOf(svc), { matchLabels: selector });
        if (pods.length === 0) {
          fail(refOf(svc), `selector ${JSON.stringify(selector)} matches no pod template`);
          continue;
        }
        for (const p of svc.spec.ports ?? []) {
          const target = p.targetPort ?? p.port;
          const numeric = typeof target === "number" || /^\d+$/.test(String(target));
          const ok = pods.some((w) => w.containers.some((e) => sidecarOrMain(e) && (e.c.ports ?? []).some((cp) =>
            numeric ? cp.containerPort === Number(target) : cp.name === target)));
          if (!ok) {
            fail(refOf(svc), `port ${p.name ?? p.port}: targetPort ${target} is not a containerPort of ` +
              pods.map((w) => w.ref).join(", "));
          }
        }
      }
    },
  },
  {
    name: "probe-ports",
    about: "every probe port (httpGet, tcpSocket, grpc) is a declared containerPort of its container",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          for (const p of probePorts(e.c)) {
            const declared = (e.c.ports ?? []).some((cp) =>
              typeof p.port === "number" ? cp.containerPort === p.port : cp.name === p.port);
            if (!declared) {
              const ports = (e.c.ports ?? []).map((cp) => `${cp.name ?? ""}${cp.name ? ":" : ""}${cp.containerPort}`);
              fail(e.where, `${p.probe} ${p.handler} port ${p.port} is not a containerPort (it declares ${ports.join(", ") || "none"})`);
            }
          }
        }
      }
    },
  },
  {
    name: "bind-all-interfaces",
    about: "the ports kubelet probes and Services reach on a Sluice container are bound on all interfaces",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          const env = m.envOf(w, e.c);
          const uses = new Map(); // port -> [why]
          const add = (port, why) => {
            if (port === undefined) return;
            if (!uses.has(port)) uses.set(port, []);
            uses.get(port).push(why);
          };
          for (const p of probePorts(e.c)) add(portNumber(e.c, p.port), p.probe);
          for (const s of servicesReaching(m, w, e.c)) add(s.port, `Service ${nameOf(s.service)}`);
          const grpc = grpcBinding(env);
          const opsAddress = env.get("SLUICE_OPS_ADDRESS")?.value;
          for (const [port, why] of uses) {
            const ops = opsPort(env) === port && ALL_INTERFACES.has(opsAddress);
            const rpc = grpc?.port === port && ALL_INTERFACES.has(grpc.host);
            if (!ops && !rpc) {
              const show = (n) => `${n}=${env.has(n) ? env.get(n).value : "(unset)"}`;
              fail(e.where, `port ${port} (${why.join(", ")}) is not bound on all interfaces: ` +
                ["SLUICE_OPS_ADDRESS", "SLUICE_OPS_PORT", "SLUICE_GRPC_ADDRESS"].map(show).join(", "));
            }
          }
        }
      }
    },
  },
  {
    name: "pdb",
    about: "a PodDisruptionBudget that still allows a disruption covers every Deployment and StatefulSet",
    run(m, opts, fail) {
      const hpas = m.ofKind("HorizontalPodAutoscaler");
      for (const w of m.workloads) {
        if (!["Deployment", "StatefulSet"].includes(w.obj.kind)) continue;
        const pdbs = m.ofKind("PodDisruptionBudget").filter((p) => nsOf(p) === w.ns && selectorMatches(p.spec?.selector, w.labels));
        if (pdbs.length === 0) {
          fail(w.ref, "no PodDisruptionBudget selects its pods");
          continue;
        }
        const hpa = hpas.find((h) => nsOf(h) === w.ns && h.spec?.scaleTargetRef?.kind === w.obj.kind &&
          h.spec?.scaleTargetRef?.name === nameOf(w.obj));
        const replicas = hpa ? (hpa.spec.minReplicas ?? 1) : (w.obj.spec?.replicas ?? 1);
        for (const pdb of pdbs) {
          const { minAvailable, maxUnavailable } = pdb.spec;
          const blocks = maxUnavailable === 0 || maxUnavailable === "0%" || minAvailable === "100%" ||
            (typeof minAvailable === "number" && minAvailable >= replicas);
          if (blocks) {
            fail(refOf(pdb), `allows no voluntary disruption of ${w.ref} (${replicas} replica(s), ` +
              `minAvailable ${minAvailable ?? "-"}, maxUnavailable ${maxUnavailable ?? "-"}): node drains would block`);
          }
        }
      }
    },
  },
  {
    name: "hpa-replicas",
    about: "every HPA targets an existing workload, which sets no replicas",
    run(m, opts, fail) {
      for (const hpa of m.ofKind("HorizontalPodAutoscaler")) {
        const ref = hpa.spec?.scaleTargetRef ?? {};
        const target = m.get(ref.kind, nsOf(hpa), ref.name);
        if (!target) {
          fail(refOf(hpa), `scaleTargetRef ${ref.kind}/${ref.name} is not in the manifests`);
        } else if (target.spec?.replicas !== undefined) {
          fail(refOf(target), `sets replicas: ${target.spec.replicas} although ${refOf(hpa)} scales it ` +
            "(every apply would reset the autoscaler's count)");
        }
      }
    },
  },
  {
    name: "image-tags",
    about: "every image names its registry and a pinned tag (not latest) or digest",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          const image = String(e.c.image ?? "");
          if (image === "") {
            fail(e.where, "has no image");
            continue;
          }
          const first = image.split("/")[0];
          if (!image.includes("/") || !(/[.:]/.test(first) || first === "localhost")) {
            fail(e.where, `image ${image} names no registry (it would be pulled from Docker Hub)`);
          }
          if (image.includes("@")) continue;
          const last = image.split("/").pop();
          if (!last.includes(":")) fail(e.where, `image ${image} has no tag (an implicit :latest)`);
          else if (last.endsWith(":latest")) fail(e.where, `image ${image} is tagged latest`);
        }
      }
    },
  },
  {
    name: "prometheus-annotations",
    about: "every Sluice pod template carries prometheus.io scrape, port (the ops port) and path annotations",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        const sluice = w.containers.filter((e) => e.service);
        if (sluice.length === 0) continue;
        const a = w.annotations;
        const ports = new Set(sluice.map((e) => opsPort(m.envOf(w, e.c))).filter((p) => p !== undefined));
        if (a["prometheus.io/scrape"] !== "true") fail(w.ref, 'pod template has no annotation prometheus.io/scrape: "true"');
        if (a["prometheus.io/path"] !== "/metrics") fail(w.ref, "pod template has no annotation prometheus.io/path: /metrics");
        const port = a["prometheus.io/port"];
        if (port === undefined) {
          fail(w.ref, `pod template has no annotation prometheus.io/port (the ops port${ports.size ? " " + [...ports].join(", ") : ""})`);
        } else if (!ports.has(Number(port))) {
          fail(w.ref, `annotation prometheus.io/port "${port}" is not the ops port (SLUICE_OPS_PORT: ${[...ports].join(", ") || "unset"})`);
        }
      }
    },
  },
  {
    name: "netpol-ops-scrape",
    about: "NetworkPolicies admit every Sluice pod's ops port from another namespace (Prometheus)",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        const sluice = w.containers.filter((e) => e.service);
        if (sluice.length === 0) continue;
        const port = Number(w.annotations["prometheus.io/port"] ?? opsPort(m.envOf(w, sluice[0].c)) ?? 9090);
        const policies = ingressPolicies(m, w);
        if (policies.length === 0) continue; // unrestricted; netpol-coverage reports it
        const admitted = policies.some((np) => (np.spec.ingress ?? []).some((rule) =>
          rulePortMatches(rule, w, port) && ((rule.from ?? []).length === 0 ||
            rule.from.some((peer) => peer.namespaceSelector !== undefined || peer.ipBlock !== undefined))));
        if (!admitted) {
          fail(w.ref, `no NetworkPolicy admits the ops port ${port} from another namespace, where Prometheus ` +
            `scrapes from (policies selecting it: ${policies.map(nameOf).join(", ")})`);
        }
      }
    },
  },
  {
    name: "netpol-coverage",
    about: "every pod is selected by a NetworkPolicy that restricts its ingress",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        if (ingressPolicies(m, w).length === 0) fail(w.ref, "no NetworkPolicy restricts ingress to its pods");
      }
    },
  },
  {
    name: "readiness-timeout",
    about: `Sluice readiness probes allow more than ${READYZ_SECONDS} s, the longest /readyz takes`,
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          const p = e.c.readinessProbe;
          if (!e.service || !p) continue;
          const timeout = p.timeoutSeconds ?? 1;
          if (!(timeout > READYZ_SECONDS)) {
            fail(e.where, `readinessProbe timeoutSeconds ${timeout}${p.timeoutSeconds === undefined ? " (default)" : ""} ` +
              `does not exceed ${READYZ_SECONDS} s, the longest /readyz takes (0.5 s for each service it checks)`);
          }
        }
      }
    },
  },
  {
    name: "no-grpc-probes",
    about: "Sluice containers are probed over HTTP on the ops port, not with the kubelet's gRPC probe",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          for (const probe of PROBES) {
            if (e.c[probe]?.grpc) {
              fail(e.where, `${probe} uses grpc: the kubelet's gRPC probe presents no client certificate, so it ` +
                "fails once internal mTLS is on (use httpGet on the ops port)");
            }
          }
        }
      }
    },
  },
  {
    name: "grpc-connection-age",
    about: "Sluice gRPC servers set a maximum connection age, so clients re-resolve and reach new pods",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          const env = m.envOf(w, e.c);
          if (!env.has("SLUICE_GRPC_ADDRESS")) continue;
          for (const v of CONNECTION_AGE_VARS) {
            const value = env.get(v)?.value;
            if (value === undefined || !/^[1-9]\d*$/.test(value)) {
              fail(e.where, `${v} is ${value === undefined ? "not set" : `"${value}", not a positive integer`}: ` +
                "without a connection age, clients keep the connections they opened and pods an autoscaler adds get no calls");
            }
          }
        }
      }
    },
  },
  {
    name: "graceful-stop",
    about: "containers behind a load-balanced Service wait in preStop, within the pod's termination grace",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        let longest = -1;
        for (const e of w.containers) {
          if (!sidecarOrMain(e)) continue;
          const behind = servicesReaching(m, w, e.c).filter((s) => s.service.spec?.clusterIP !== "None");
          if (behind.length === 0) continue;
          const names = [...new Set(behind.map((s) => nameOf(s.service)))].join(", ");
          if (!e.c.lifecycle?.preStop) {
            fail(e.where, `serves Service ${names} but has no preStop hook: it would stop while endpoints still send to it`);
          }
          longest = Math.max(longest, preStopSeconds(e.c));
        }
        if (longest < 0) continue;
        const grace = w.spec.terminationGracePeriodSeconds;
        const needed = longest + DRAIN_SECONDS;
        if (grace === undefined) {
          fail(w.ref, `sets no terminationGracePeriodSeconds (needs at least ${needed}: preStop ${longest} s + drain ${DRAIN_SECONDS} s)`);
        } else if (grace < needed) {
          fail(w.ref, `terminationGracePeriodSeconds ${grace} is shorter than preStop ${longest} s + drain ${DRAIN_SECONDS} s`);
        }
      }
    },
  },
  {
    name: "nginx-writable-paths",
    about: "an nginx with a read-only root writes its pid and temp files only under writable mounts",
    run(m, opts, fail) {
      const required = ["pid", "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"];
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (e.c.securityContext?.readOnlyRootFilesystem !== true) continue;
          for (const mount of e.c.volumeMounts ?? []) {
            const volume = (w.spec.volumes ?? []).find((v) => v.name === mount.name);
            const files = m.volumeFiles(w.ns, volume);
            if (!files || !volume.configMap) continue;
            for (const [file, src] of files) {
              if (mount.subPath && mount.subPath !== file) continue;
              const text = m.valueOf("ConfigMap", w.ns, src.name, src.key);
              if (!text || !/^\s*http\s*\{/m.test(text)) continue;
              const directives = new Map();
              for (const line of text.split("\n")) {
                const d = line.replace(/#.*/, "").match(/^\s*([a-z_]+)\s+([^\s;]+)/);
                if (d) directives.set(d[1], [...(directives.get(d[1]) ?? []), d[2]]);
              }
              const what = `${file} (ConfigMap ${src.name})`;
              for (const d of required) {
                if (!directives.has(d)) fail(e.where, `${what} does not set ${d}; nginx's built-in path is on the read-only root`);
              }
              for (const d of [...required, "error_log", "access_log"]) {
                for (const p of directives.get(d) ?? []) {
                  if (!p.startsWith("/") || ["/dev/stderr", "/dev/stdout"].includes(p)) continue;
                  const writable = (e.c.volumeMounts ?? []).some((vm) => !vm.readOnly && !vm.subPath &&
                    (p === vm.mountPath || p.startsWith(vm.mountPath.replace(/\/+$/, "") + "/")));
                  if (!writable) fail(e.where, `${what} writes ${d} ${p} outside every writable mount (the root is read-only)`);
                }
              }
            }
          }
        }
      }
    },
  },
  {
    name: "db-credentials",
    about: "Sluice connects to the database as a user of its own, not root, and never holds the root password",
    run(m, opts, fail) {
      const source = (w, c, env, name) => {
        const file = env.get(`${name}_FILE`)?.value;
        if (file?.startsWith("/")) {
          const found = m.fileOf(w, c, file);
          const src = found && m.volumeFiles(w.ns, found.volume)?.get(found.file);
          return src ? `${src.kind} ${src.name} key ${src.key}` : `file ${file}`;
        }
        const v = env.get(name);
        if (!v) return undefined;
        return v.source.kind === "literal" ? `literal "${v.value}"` : `${v.source.kind} ${v.source.name} key ${v.source.key}`;
      };
      const sluice = []; // {where, user, password}
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          const env = m.envOf(w, e.c);
          if (!env.has("SLUICE_DB_HOST")) continue;
          const user = env.has("SLUICE_DB_USER") ? env.get("SLUICE_DB_USER").value : "root";
          if (user === "root") fail(e.where, `connects to the database as root${env.has("SLUICE_DB_USER") ? "" : " (SLUICE_DB_USER unset)"}`);
          sluice.push({ where: e.where, user, password: source(w, e.c, env, "SLUICE_DB_PASSWORD") });
        }
      }
      const passwords = new Set(sluice.map((s) => s.password).filter(Boolean));
      const users = new Set(sluice.map((s) => s.user).filter((u) => u !== undefined));
      for (const w of m.workloads) {
        for (const e of w.containers) {
          const env = m.envOf(w, e.c);
          for (const prefix of ["MARIADB", "MYSQL"]) {
            if (env.has(`${prefix}_ALLOW_EMPTY_ROOT_PASSWORD`) || env.has(`${prefix}_ALLOW_EMPTY_PASSWORD`)) {
              fail(e.where, `${prefix}_ALLOW_EMPTY_ROOT_PASSWORD leaves root without a password`);
            }
            const root = source(w, e.c, env, `${prefix}_ROOT_PASSWORD`);
            if (root && passwords.has(root)) {
              fail(e.where, `${prefix}_ROOT_PASSWORD comes from ${root}, the Sluice services' password: they would hold root's`);
            }
            const user = env.get(`${prefix}_USER`);
            if (root && user?.value !== undefined && users.size > 0 && !users.has(user.value)) {
              fail(e.where, `${prefix}_USER creates "${user.value}" but the services connect as ${[...users].join(", ")}`);
            }
            const password = source(w, e.c, env, `${prefix}_PASSWORD`);
            if (root && user && password && passwords.size > 0 && !passwords.has(password)) {
              fail(e.where, `${prefix}_PASSWORD comes from ${password}, not from the services' ${[...passwords].join(", ")}`);
            }
          }
        }
      }
    },
  },
  {
    name: "grpc-headless",
    about: "Sluice gRPC Services are headless and every *_TARGET names one, so calls balance per request",
    run(m, opts, fail) {
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (!e.service) continue;
          const env = m.envOf(w, e.c);
          const grpc = grpcBinding(env);
          for (const s of servicesReaching(m, w, e.c)) {
            if (grpc?.port === s.port && s.service.spec?.clusterIP !== "None") {
              fail(refOf(s.service), `reaches the gRPC port of ${w.ref} but is not headless (clusterIP: None): ` +
                "one HTTP/2 connection to a ClusterIP would pin every call to one pod");
            }
          }
          for (const [name, v] of env) {
            if (!/^SLUICE_[A-Z]+_TARGET$/.test(name) || v.value === undefined) continue;
            const t = v.value.match(/^(?:dns:\/\/\/)?([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)$/);
            if (!t) {
              fail(e.where, `${name}=${v.value} is not dns:///<service>:<port>`);
              continue;
            }
            const svc = m.get("Service", w.ns, t[1]);
            if (!svc) fail(e.where, `${name}=${v.value}: Service ${t[1]} is not in the manifests`);
            else if (svc.spec?.clusterIP !== "None") fail(e.where, `${name}=${v.value}: Service ${t[1]} is not headless`);
            else if (!(svc.spec.ports ?? []).some((p) => p.port === Number(t[2]))) {
              fail(e.where, `${name}=${v.value}: Service ${t[1]} has no port ${t[2]}`);
            }
          }
        }
      }
    },
  },
  {
    name: "grpc-mtls",
    about: "internal mTLS is all or nothing across Sluice containers, from a mounted certificate (required where asked)",
    run(m, opts, fail) {
      const sluice = [];
      for (const w of m.workloads) {
        for (const e of w.containers) {
          if (e.service) {
            const env = m.envOf(w, e.c);
            sluice.push({ e, set: TLS_VARS.filter((v) => env.get(v)?.value) });
          } else {
            for (const mount of e.c.volumeMounts ?? []) {
              const v = (w.spec.volumes ?? []).find((x) => x.name === mount.name);
              if (v?.secret && isGrpcCertificate(m, w.ns, v.secret.secretName)) {
                fail(e.where, `mounts the internal gRPC certificate (Secret ${v.secret.secretName}) but runs no Sluice binary`);
              }
            }
          }
        }
      }
      const any = sluice.some((s) => s.set.length > 0);
      if (!any && opts.require.has("grpc-mtls")) {
        for (const s of sluice) fail(s.e.where, `internal mTLS is required here but ${TLS_VARS.join(", ")} are unset`);
        return;
      }
      if (!any) return;
      for (const s of sluice) {
        const missing = TLS_VARS.filter((v) => !s.set.includes(v));
        if (missing.length > 0) {
          fail(s.e.where, `does not set ${missing.join(", ")} while other Sluice containers use mTLS: ` +
            "its calls or its server would be refused");
        }
      }
    },
  },
];

// A Secret is the internal gRPC certificate when some Sluice container's
// SLUICE_GRPC_TLS_* files come from it.
function isGrpcCertificate(m, ns, secretName) {
  for (const w of m.workloads) {
    if (w.ns !== ns) continue;
    for (const e of w.containers) {
      if (!e.service) continue;
      const env = m.envOf(w, e.c);
      for (const v of TLS_VARS) {
        const file = env.get(v)?.value;
        if (!file) continue;
        const found = m.fileOf(w, e.c, file);
        if (found?.volume?.secret?.secretName === secretName) return true;
      }
    }
  }
  return false;
}

function ingressPolicies(m, w) {
  return m.ofKind("NetworkPolicy").filter((np) => nsOf(np) === w.ns &&
    selectorMatches(np.spec?.podSelector ?? {}, w.labels) &&
    (np.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"));
}

function rulePortMatches(rule, w, port) {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if (p.port === undefined) return true;
    if (typeof p.port === "number") return p.endPort ? port >= p.port && port <= p.endPort : p.port === port;
    return w.containers.some((e) => (e.c.ports ?? []).some((cp) => cp.name === p.port && cp.containerPort === port));
  });
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const c of CHECKS) console.log(`${c.name}\t${c.about}`);
    return 0;
  }
  const { objects, errors } = loadObjects(opts.files);
  const label = opts.name ? `${opts.name}: ` : "";
  if (errors.length > 0) {
    for (const e of errors) console.log(`FAIL yaml: ${e}`);
    return 1;
  }
  const m = new Manifests(objects, envReadBy(opts.sourceDir));
  let failedChecks = 0;
  let findings = 0;
  for (const check of CHECKS) {
    const seen = new Set();
    const fail = (where, message) => {
      const line = `FAIL ${check.name}: ${label}${where}: ${message}`;
      if (seen.has(line)) return;
      seen.add(line);
      console.log(line);
    };
    await check.run(m, opts, fail);
    if (seen.size > 0) failedChecks++;
    findings += seen.size;
  }
  console.log(`k8s ${label}${objects.length} objects, ${CHECKS.length} checks: ` +
    `${CHECKS.length - failedChecks} passed, ${failedChecks} failed (${findings} findings)`);
  return failedChecks > 0 ? 1 : 0;
}

process.exitCode = await main();
