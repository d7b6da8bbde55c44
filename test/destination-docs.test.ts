// The destination's docs page (docs/destination-sqs.md) and CHANGELOG.md match the spec and the
// metadata: every setting is named, defaults are the documented ones, every allowed host is
// explained, and breaking releases are listed in both places.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { metadata } from "./helpers/airbyte-metadata.js";
import { REPO_ROOT } from "./helpers/cli.js";
import { DOCUMENTED_DEFAULTS } from "./helpers/documented-defaults.js";
import { specKeysMissingFrom } from "./helpers/spec.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");
const page = read("docs/destination-sqs.md");
const readme = read("README.md");
const changelog = read("CHANGELOG.md");
const { version } = JSON.parse(read("package.json")) as { version: string };

test("the docs page names every setting of spec.json", () => {
  assert.deepEqual(specKeysMissingFrom(page), []);
  // The check notices a setting the page leaves out.
  assert.deepEqual(specKeysMissingFrom(page.replaceAll("`alerts.sns_endpoint`", "")), ["alerts.sns_endpoint"]);
});

test("the reference gives each top-level setting its documented default", () => {
  for (const [key, value] of Object.entries(DOCUMENTED_DEFAULTS)) {
    const row = page.split("\n").find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row?.includes(`\`${JSON.stringify(value)}\``), `${key}: ${row}`);
  }
});

test("the page has the sections of Airbyte's destination pages and explains every allowed host", () => {
  const headings = [...page.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
  for (const section of [
    "Prerequisites",
    "Setup guide",
    "Network access",
    "Supported sync modes",
    "Features",
    "Limits",
    "Troubleshooting",
    "Configuration reference",
  ]) {
    assert.ok(headings.includes(section), `missing section ${section}`);
  }
  for (const host of metadata.data.allowedHosts.hosts) {
    const named = host.startsWith("*.") ? host.slice(2) : host;
    assert.ok(page.includes(named), `${host} is not explained`);
  }
  for (const feature of ["publishing", "KMS", "assuming a role", "snapshot", "large messages", "SNS"]) {
    assert.match(page, new RegExp(`### IAM policy: [^\\n]*${feature}`, "i"), feature);
  }
});

test("the README links the page, and its first two commands are unchanged", () => {
  assert.match(readme, /\]\(docs\/destination-sqs\.md\)/);
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(
    firstBlock,
    "npm ci && npm run demo     # starts an SQS emulator, pipes sample records through `write`, shows the messages that arrived\n" +
      "npm test                   # the test suite, against the fauxqs emulator (and moto_server when installed)\n",
  );
});

/** The rows of the changelog's versions table: version, date, change. */
function changelogRows(): { version: string; date: string; change: string }[] {
  return changelog
    .split("\n")
    .filter((line) => /^\| \d+\.\d+\.\d+/.test(line))
    .map((line) => {
      const [rowVersion = "", date = "", change = ""] = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      return { version: rowVersion, date, change };
    });
}

test("the changelog's table starts at the current version, newest first, with a date and a change each", () => {
  const rows = changelogRows();
  assert.ok(rows.length > 0);
  assert.equal(rows[0]?.version, version);
  const numbers = rows.map((row) => row.version.split(".").map(Number));
  const sorted = [...numbers].sort((a, b) => b[0]! - a[0]! || b[1]! - a[1]! || b[2]! - a[2]!);
  assert.deepEqual(numbers, sorted);
  for (const row of rows) {
    assert.match(row.date, /^\d{4}-\d{2}-\d{2}$/, row.version);
    assert.ok(row.change.length > 0, row.version);
  }
});

test("breaking releases are the same in the changelog and in metadata.yaml's releases.breakingChanges", () => {
  const inChangelog = changelogRows()
    .filter((row) => /\*\*Breaking\*\*/.test(row.change))
    .map((row) => row.version);
  const inMetadata = Object.keys(metadata.data.releases?.breakingChanges ?? {});
  assert.deepEqual(inMetadata.sort(), inChangelog.sort());
  for (const release of inMetadata)
    assert.ok(
      changelogRows().some((row) => row.version === release),
      release,
    );
});
