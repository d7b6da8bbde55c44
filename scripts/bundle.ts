// Bundles the connector into one ES module, dist/main.js, the file every command runs. Node then
// starts it from one parsed file instead of resolving and loading hundreds of modules (most of
// them the AWS SDK's), which took a third of a short sync's time.
import { mkdirSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));

// Written beside the old bundle, then renamed over it: a CLI started meanwhile (a test running while
// `npm run demo` rebuilds) finds one whole bundle or the other, never none.
const outfile = `${root}dist/main.js`;
const partial = `${root}dist/main.${process.pid}.partial.js`;
mkdirSync(`${root}dist`, { recursive: true });
await build({
  entryPoints: [`${root}src/main.ts`],
  outfile: partial,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // A native addon: it loads its compiled binary from its own folder in node_modules.
  external: ["better-sqlite3"],
  // Bundled CommonJS packages require() Node's built-in modules, which an ES module must provide.
  banner: {
    js: 'import { createRequire as createBundleRequire } from "node:module"; const require = createBundleRequire(import.meta.url);',
  },
  mainFields: ["module", "main"],
  logLevel: "warning",
});
renameSync(partial, outfile);
