// Offline checks of Sluice's container build and compose files.
//
//   node containers.mjs [--source-dir DIR] [--dockerfile F] [--dockerignore F] [--compose F] [--nginx F]
//   node containers.mjs --list-checks
//
// Defaults are the repository's docker/Dockerfile, .dockerignore and
// docker/compose.yaml, and docker/nginx.conf against k8s/base/nginx.conf.
// A failure prints
//   FAIL <check>: <file>: <what is wrong and why>
// and the exit status is 1; 0 when every check passes, 2 on a usage error.
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { SERVICES, envReadBy } from "./sources.mjs";

const CHECKS = {
  "dockerignore": "the build context leaves out build trees, var/ (keys, data) and anything secret",
  "image-healthcheck": "every image has a HEALTHCHECK",
  "image-user": "every image runs as a non-root user",
  "image-stripped": "the binaries copied into images are stripped",
  "image-stopsignal": "the nginx image stops gracefully (STOPSIGNAL SIGQUIT)",
  "compose-healthcheck": "every compose service has a healthcheck",
  "compose-restart": "every compose service restarts by itself",
  "compose-depends": "every service waits for what it calls to be healthy",
  "compose-env": "every SLUICE_* setting is one the binary reads",
  "compose-nginx": "nginx's config is a file of the repository and reaches the edge",
  "compose-hardening": "Sluice containers run read-only with no capabilities",
  "compose-db-user": "the services do not connect to the database as root",
  "nginx-copies": "the image's nginx config and the pod's (k8s/base) say the same",
};

const IMAGE_TARGETS = [...SERVICES, "edge-tls"];
// Which services each one calls (it must wait for them).
const CALLS = {
  auth: ["mariadb"], storage: ["mariadb"], retention: ["mariadb", "storage"],
  schema: ["mariadb", "auth", "storage"], edge: ["auth", "schema", "storage"], "edge-tls": ["edge"],
};

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const repo = path.resolve(here, "../..");
  const args = {
    sourceDir: repo,
    dockerfile: path.join(repo, "docker/Dockerfile"),
    dockerignore: path.join(repo, ".dockerignore"),
    compose: path.join(repo, "docker/compose.yaml"),
    nginx: path.join(repo, "docker/nginx.conf"),
    podNginx: path.join(repo, "k8s/base/nginx.conf"),
  };
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--list-checks") args.list = true;
    else if (flag === "--source-dir") args.sourceDir = value();
    else if (flag === "--dockerfile") args.dockerfile = value();
    else if (flag === "--dockerignore") args.dockerignore = value();
    else if (flag === "--compose") args.compose = value();
    else if (flag === "--nginx") args.nginx = value();
    else usage(`unknown argument ${flag}`);
  }
  return args;
}

function usage(message) {
  console.error(`containers.mjs: ${message}`);
  console.error("usage: node containers.mjs [--source-dir DIR] [--dockerfile F] [--dockerignore F] [--compose F]");
  process.exit(2);
}

// Stages of a Dockerfile: name → {base, lines: [{instruction, args}]}, with
// continuation lines joined and comments dropped.
function stages(text) {
  const joined = text.replace(/\\\r?\n/g, " ");
  const result = new Map();
  let current = null;
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (instruction.toUpperCase() === "FROM") {
      const m = args.match(/^(\S+)(?:\s+AS\s+(\S+))?/i);
      current = { base: m[1], lines: [] };
      result.set(m[2] ?? `#${result.size}`, current);
      continue;
    }
    if (current) current.lines.push({ instruction: instruction.toUpperCase(), args });
  }
  return result;
}

// The last value of `instruction` in `name` or the stages it is built on.
function inherited(all, name, instruction) {
  for (let stage = all.get(name), seen = 0; stage && seen < 20; stage = all.get(stage.base), ++seen) {
    const found = stage.lines.filter((l) => l.instruction === instruction);
    if (found.length) return found[found.length - 1].args;
  }
  return null;
}

// Returns the image targets that have a HEALTHCHECK.
function checkDockerfile(file, fail) {
  const healthy = new Set();
  const all = stages(readFileSync(file, "utf8"));
  for (const target of IMAGE_TARGETS) {
    if (!all.has(target)) {
      fail("image-healthcheck", file, `no stage ${target}`);
      continue;
    }
    const health = inherited(all, target, "HEALTHCHECK");
    if (health && !/^NONE\b/i.test(health)) healthy.add(target);
    if (!health || /^NONE\b/i.test(health)) {
      fail("image-healthcheck", file, `image ${target} has no HEALTHCHECK: its engine cannot tell a hung process from a working one`);
    }
    const user = inherited(all, target, "USER");
    if (!user || /^(root|0)(:|$)/.test(user)) {
      fail("image-user", file, `image ${target} runs as ${user ?? "root (no USER)"}`);
    }
    // Binaries come from another stage: that stage must strip them.
    for (const { args } of all.get(target).lines.filter((l) => l.instruction === "COPY")) {
      const from = args.match(/--from=(\S+)/);
      if (!from || !/sluice-/.test(args)) continue;
      const source = all.get(from[1]);
      const stripped = source && source.lines.some((l) => l.instruction === "RUN" && /\bstrip\b|\bobjcopy\b.*--strip/.test(l.args));
      if (!stripped) {
        fail("image-stripped", file, `image ${target} copies ${args.split(/\s+/).slice(-2)[0]} from stage ${from[1]}, which strips nothing (debug information ships in the image)`);
      }
    }
  }
  if (all.has("edge-tls")) {
    const signal = inherited(all, "edge-tls", "STOPSIGNAL");
    if (!signal || !/^SIGQUIT$/i.test(signal.trim())) {
      fail("image-stopsignal", file, `image edge-tls stops on ${signal ?? "SIGTERM"}: nginx then drops the requests it holds, defeating the edge's drain`);
    }
  }
  return healthy;
}

function checkDockerignore(file, fail) {
  if (!existsSync(file)) {
    fail("dockerignore", file, "missing: the build context holds var/ (the admin key, the TLS key, MariaDB's data) and every build tree");
    return;
  }
  const patterns = readFileSync(file, "utf8").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const covers = (name) => patterns.some((p) => {
    // Docker's rules: "**/" is any number of directories, "*" and "?"
    // stay within one; a pattern naming a directory covers what is in it.
    const source = p.replace(/^\/|\/$/g, "").split("**/").map((part) =>
      part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")).join("(?:.*/)?");
    return new RegExp(`^${source}(?:/.*)?$`).test(name);
  });
  for (const name of ["var", "build", "build-asan", "build-release", ".git", "server.pem", "tests/k8s/node_modules"]) {
    if (!covers(name)) fail("dockerignore", file, `${name} is sent to the build context`);
  }
}

function checkCompose(file, readBy, imageHealth, fail) {
  const readByAny = new Set(Object.values(readBy).flatMap((names) => [...names]));
  const doc = parse(readFileSync(file, "utf8"), { merge: true });
  const services = doc?.services ?? {};
  for (const [name, svc] of Object.entries(services)) {
    const image = String(svc.image ?? "");
    const sluice = IMAGE_TARGETS.find((t) => image.endsWith(`/sluice-${t}`) || image.endsWith(`/sluice-${t}:`) || new RegExp(`/sluice-${t}(:|$)`).test(image));
    // A Sluice image brings its own HEALTHCHECK, which compose uses.
    const ownCheck = sluice && imageHealth.has(sluice);
    if ((!svc.healthcheck && !ownCheck) || svc.healthcheck?.disable) {
      fail("compose-healthcheck", file, `service ${name} has no healthcheck`);
    }
    if (!svc.restart || svc.restart === "no") {
      fail("compose-restart", file, `service ${name} has no restart policy: a crash leaves it down`);
    }
    if (sluice) {
      const depends = svc.depends_on ?? {};
      for (const needed of CALLS[sluice] ?? []) {
        const entry = Array.isArray(depends) ? null : depends[needed];
        if (!entry || entry.condition !== "service_healthy") {
          fail("compose-depends", file, `service ${name} does not wait for ${needed} to be healthy (depends_on condition: service_healthy)`);
        }
      }
      if (svc.read_only !== true) fail("compose-hardening", file, `service ${name} has a writable root`);
      const dropped = (svc.cap_drop ?? []).map((c) => String(c).toUpperCase());
      if (!dropped.includes("ALL")) fail("compose-hardening", file, `service ${name} keeps its capabilities (cap_drop: [ALL])`);
    }
    const env = svc.environment ?? {};
    const vars = Array.isArray(env) ? Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2))) : env;
    if (sluice && sluice !== "edge-tls") {
      // Settings shared by every service (the backends' targets) may be
      // read by some of them only; a name no binary reads is a mistake.
      for (const key of Object.keys(vars).filter((k) => k.startsWith("SLUICE_"))) {
        if (!readByAny.has(key)) fail("compose-env", file, `service ${name}: ${key} is read by no Sluice binary`);
      }
      if (vars.SLUICE_DB_HOST !== undefined && (vars.SLUICE_DB_USER ?? "root") === "root") {
        fail("compose-db-user", file, `service ${name} connects to the database as root`);
      }
    }
    if (sluice === "edge-tls") {
      const mounts = (svc.volumes ?? []).map(String);
      const conf = mounts.find((m) => m.split(":")[1] === "/etc/sluice/nginx.conf");
      if (!conf) {
        fail("compose-nginx", file, `service ${name} mounts no /etc/sluice/nginx.conf`);
        continue;
      }
      const host = path.resolve(path.dirname(file), conf.split(":")[0]);
      const inRepo = !path.relative(path.resolve(path.dirname(file), ".."), host).startsWith("..");
      if (!existsSync(host) || /(^|\/)var\//.test(path.relative(path.resolve(path.dirname(file), ".."), host)) || !inRepo) {
        fail("compose-nginx", file, `service ${name} mounts ${conf.split(":")[0]}, not a config of the repository (one generated for this host carries its paths)`);
        continue;
      }
      const text = readFileSync(host, "utf8");
      const loopback = /upstream[^}]*server\s+127\.0\.0\.1:/s.test(text);
      const shared = svc.network_mode === "service:edge";
      if (loopback && !shared) {
        fail("compose-nginx", file, `service ${name} proxies to 127.0.0.1, its own container, not the edge's (network_mode: "service:edge" shares the edge's, as in the pod)`);
      }
    }
  }
}

// The directives of an nginx config: comments and blank lines left out.
function directives(file) {
  return readFileSync(file, "utf8").split(/\r?\n/).map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
}

function checkNginxCopies(imageConf, podConf, fail) {
  if (!existsSync(imageConf) || !existsSync(podConf)) {
    fail("nginx-copies", imageConf, `missing ${existsSync(imageConf) ? podConf : imageConf}`);
    return;
  }
  const a = directives(imageConf), b = directives(podConf);
  const at = a.findIndex((line, i) => line !== b[i]);
  if (at >= 0 || a.length !== b.length) {
    const i = at >= 0 ? at : Math.min(a.length, b.length);
    fail("nginx-copies", imageConf, `differs from ${podConf} at directive ${i + 1}: "${a[i] ?? "(end)"}" against "${b[i] ?? "(end)"}"`);
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const [name, what] of Object.entries(CHECKS)) console.log(`${name}\t${what}`);
    return 0;
  }
  const failures = [];
  const fail = (check, file, message) => failures.push(`FAIL ${check}: ${path.relative(process.cwd(), file) || file}: ${message}`);
  checkDockerignore(args.dockerignore, fail);
  const imageHealth = checkDockerfile(args.dockerfile, fail);
  checkCompose(args.compose, envReadBy(args.sourceDir), imageHealth, fail);
  checkNginxCopies(args.nginx, args.podNginx, fail);
  for (const line of failures) console.log(line);
  const failed = new Set(failures.map((l) => l.split(":")[0].slice(5)));
  console.log(`containers: ${Object.keys(CHECKS).length} checks: ${Object.keys(CHECKS).length - failed.size} passed, ${failed.size} failed (${failures.length} findings)`);
  return failures.length ? 1 : 0;
}

process.exit(main());
