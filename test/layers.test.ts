// No module imports from a layer above its own. The layers are stated once, in ARCHITECTURE.md
// ("Layers"), lowest first; this test reads them from there and holds every import in src/ to them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "./helpers/cli.js";

interface Layer {
  name: string;
  /** Files (ending in .ts) and folders (ending in /), relative to the repository. */
  paths: string[];
}

/** The fenced block under ARCHITECTURE.md's "## Layers": one layer a line, its name then its paths. */
function statedLayers(): Layer[] {
  const architecture = readFileSync(join(REPO_ROOT, "ARCHITECTURE.md"), "utf8");
  const block = /^## Layers\n[\s\S]*?^```\n([\s\S]*?)^```/m.exec(architecture)?.[1];
  assert.ok(block, 'ARCHITECTURE.md has a "## Layers" section with a fenced block of layers');
  return block
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [name = "", ...paths] = line.trim().split(/\s+/);
      return { name, paths };
    });
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(REPO_ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports, types included, as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO_ROOT, file), "utf8");
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|^import\s+"(\.[^"]+)"/gms)].map((match) =>
    normalize(join(dirname(file), match[1] ?? match[2]!)).replace(/\.js$/, ".ts"),
  );
}

test("no module imports from a layer above its own (the order in ARCHITECTURE.md)", () => {
  const layers = statedLayers();
  assert.ok(layers.length > 2, "ARCHITECTURE.md names the layers");
  /** The layer of a file: the one naming the file itself or the longest folder holding it. */
  const layerOf = (file: string): number => {
    let best = -1;
    let bestLength = -1;
    layers.forEach((layer, index) => {
      for (const path of layer.paths) {
        const holds = path.endsWith("/") ? file.startsWith(path) : file === path;
        if (holds && path.length > bestLength) [best, bestLength] = [index, path.length];
      }
    });
    return best;
  };
  const files = sourceFiles("src");
  assert.deepEqual(
    files.filter((file) => layerOf(file) < 0),
    [],
    "every module of src/ is in a layer",
  );
  const upward = files.flatMap((file) =>
    importsOf(file)
      .filter((target) => layerOf(target) > layerOf(file))
      .map((target) => `${file} (${layers[layerOf(file)]!.name}) imports ${relative(".", target)} (${layers[layerOf(target)]!.name})`),
  );
  assert.deepEqual(upward, []);
});
