// What the Sluice binaries read, from their C++ sources: every "SLUICE_..."
// string literal in common/ and in services/<service>/, unit tests left out.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";

export const SERVICES = ["auth", "schema", "storage", "retention", "edge"];

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(cc|h|cpp|hpp)$/.test(entry.name) && !/_test\.(cc|cpp)$/.test(entry.name)) out.push(p);
  }
  return out;
}

function envLiterals(dir) {
  const names = new Set();
  for (const file of sourceFiles(dir)) {
    for (const m of readFileSync(file, "utf8").matchAll(/"(SLUICE_[A-Z0-9_]+)"/g)) names.add(m[1]);
  }
  return names;
}

// service → the set of SLUICE_* names its binary reads.
export function envReadBy(sourceDir) {
  const common = path.join(sourceDir, "common");
  if (!existsSync(common) || !statSync(common).isDirectory()) {
    console.error(`${common} is not a directory (set --source-dir to the Sluice sources)`);
    process.exit(2);
  }
  const shared = envLiterals(common);
  const readBy = {};
  for (const service of SERVICES) {
    const dir = path.join(sourceDir, "services", service);
    const own = existsSync(dir) ? envLiterals(dir) : new Set();
    readBy[service] = new Set([...shared, ...own]);
  }
  return readBy;
}
