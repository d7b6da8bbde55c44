// Bundles the connector into one ES module, dist/main.js, the file every command runs. Node then
// starts it from one parsed file instead of resolving and loading hundreds of modules (most of
// them the AWS SDK's), which took a third of a short sync's time.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));

rmSync(`${root}dist`, { recursive: true, force: true });
await build({
  entryPoints: [`${root}src/main.ts`],
  outfile: `${root}dist/main.js`,
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
