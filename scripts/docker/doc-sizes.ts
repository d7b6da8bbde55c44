// Checks the sizes docs/airbyte.md states for the image against the ones scripts/docker-test.sh measured,
// so the figures stay true as dependencies change. Sizes are in MB (10^6 bytes), as the page gives them.
//
//   doc-sizes.ts image=BYTES base=BYTES node_modules=BYTES addon=BYTES dist=BYTES
//
// Prints each figure with its measurement; exits 1 when one is more than 5% off, saying which and what
// it measured. The whole image's size depends on the base image it was built on: when the base measured
// differs from the documented one, that figure is reported and not compared.
import { readFileSync } from "node:fs";

const TOLERANCE = 0.05;
const PAGE = new URL("../../docs/airbyte.md", import.meta.url);

/** Each figure of the page: the phrase that states it, and how to compute it from the measurements. */
const FIGURES: { name: string; phrase: RegExp; measured(sizes: Record<string, number>): number }[] = [
  { name: "the connector's share", phrase: /adds about ([\d.]+) MB to the Node base image/, measured: (s) => s.image! - s.base! },
  { name: "production node_modules", phrase: /([\d.]+) MB of production `node_modules`/, measured: (s) => s.node_modules! },
  { name: "the SQLite addon", phrase: /of which ([\d.]+) MB is the compiled SQLite addon/, measured: (s) => s.addon! },
  { name: "dist/", phrase: /([\d.]+) MB of `dist\/`/, measured: (s) => s.dist! },
  { name: "the base image", phrase: /of which ([\d.]+) MB is the `node:22-bookworm-slim` base/, measured: (s) => s.base! },
  { name: "the whole image", phrase: /The whole image measured ([\d.]+) MB/, measured: (s) => s.image! },
];

const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(1);
const within = (stated: number, bytes: number): boolean => Math.abs(stated * 1e6 - bytes) <= TOLERANCE * bytes;

const sizes = Object.fromEntries(
  process.argv.slice(2).map((argument) => {
    const [name, bytes] = argument.split("=");
    return [name, Number(bytes)];
  }),
);
const page = readFileSync(PAGE, "utf8").replace(/\s+/g, " ");
const stated = (phrase: RegExp): number | undefined => {
  const match = phrase.exec(page);
  return match ? Number(match[1]) : undefined;
};

const problems: string[] = [];
const baseFigure = FIGURES.find((figure) => figure.name === "the base image")!;
const sameBase = within(stated(baseFigure.phrase) ?? Number.NaN, sizes.base!);
for (const figure of FIGURES) {
  const value = stated(figure.phrase);
  const bytes = figure.measured(sizes);
  if (value === undefined) {
    problems.push(`docs/airbyte.md no longer states ${figure.name} as ${figure.phrase}: measured ${megabytes(bytes)} MB`);
    continue;
  }
  const line = `${figure.name}: docs say ${value} MB, measured ${megabytes(bytes)} MB`;
  if (figure.name === "the whole image" && !sameBase) {
    console.log(`  ${line} (not compared: built on another base image)`);
  } else if (within(value, bytes) || (figure === baseFigure && !sameBase)) {
    console.log(`  ${line}${figure === baseFigure && !sameBase ? " (another base image)" : ""}`);
  } else {
    problems.push(`${line}: update docs/airbyte.md`);
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`  FAILED: ${problem}`);
  process.exit(1);
}
