// Copies the browser libraries the console loads from node_modules/ into static/vendor/.
//
// No bundler: the browser imports these ES modules as they are published. Run after `npm ci`:
//   node scripts/vendor.mjs
// Each package's licence travels with its files. The script then checks that every relative
// import of a copied module points at a copied file, so a missing directive fails here and not
// in a browser.

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "static", "vendor");

// package → files the browser loads (paths inside the package), licences included.
const FILES = {
  "lit-html": [
    "lit-html.js",
    "directive.js",
    "directive-helpers.js",
    "directives/class-map.js",
    "directives/if-defined.js",
    "directives/live.js",
    "directives/repeat.js",
    "LICENSE",
  ],
  "socket.io-client": ["dist/socket.io.esm.min.js", "LICENSE"],
  // socket.io.esm.min.js bundles these; their licences ship beside it.
  "engine.io-client": ["LICENSE"],
  "engine.io-parser": ["LICENSE"],
  "socket.io-parser": ["LICENSE"],
  "@socket.io/component-emitter": ["LICENSE"],
};

function copy(pkg, file) {
  const from = join(modules, pkg, file);
  if (!existsSync(from)) {
    throw new Error(`${pkg}/${file} is missing: run "npm ci" first`);
  }
  const to = join(vendor, pkg, file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  const map = `${from}.map`;
  if (file.endsWith(".js") && existsSync(map)) copyFileSync(map, `${to}.map`);
  return to;
}

function relativeImports(source) {
  const found = [];
  const pattern = /(?:import|export)\s*(?:[^"']*?from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

rmSync(vendor, { recursive: true, force: true });
const copied = [];
for (const [pkg, files] of Object.entries(FILES)) {
  for (const file of files) copied.push(copy(pkg, file));
}

const missing = [];
for (const file of copied.filter((f) => f.endsWith(".js"))) {
  for (const spec of relativeImports(readFileSync(file, "utf8"))) {
    const target = join(dirname(file), ...spec.split(posix.sep));
    if (!existsSync(target)) missing.push(`${relative(root, file)} imports ${spec}`);
  }
}
if (missing.length) {
  console.error(`static/vendor is incomplete; add to FILES in scripts/vendor.mjs:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`copied ${copied.length} files to ${relative(root, vendor)}/`);
