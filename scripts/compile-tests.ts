// Compiles the tests, and the code and scripts they import, to JavaScript in dist-test/, so that each
// test file runs in plain Node.js: loading a TypeScript loader into every test process cost about
// 0.7 s of CPU per file. import.meta.url keeps naming the TypeScript source, so every path a module
// builds from it points where it would had the source run.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transform } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const output = join(root, "dist-test");
const FOLDERS = ["src", "test", "scripts", "bench"];

function typeScriptFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))
    .map((name) => join(root, folder, name));
}

async function compile(source: string): Promise<void> {
  const { code } = await transform(readFileSync(source, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcefile: source,
    sourcemap: "inline",
    define: { "import.meta.url": JSON.stringify(pathToFileURL(source).href) },
  });
  const target = join(output, relative(root, source)).replace(/\.ts$/, ".js");
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
}

// A test file deleted from test/ must not linger in dist-test/ and keep running.
rmSync(output, { recursive: true, force: true });
await Promise.all(FOLDERS.flatMap(typeScriptFiles).map(compile));
