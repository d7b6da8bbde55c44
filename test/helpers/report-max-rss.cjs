// Preloaded into the connector (NODE_OPTIONS=--require …) by memory tests: prints the process's peak
// resident set size to stderr as it exits.
process.on("exit", () => {
  process.stderr.write(`\nMAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
