// Preloaded into a benchmarked process (node --import): writes its own resource usage (CPU time,
// peak RSS) to $BENCH_USAGE_FILE as it exits, which the parent cannot read from outside.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  const file = process.env.BENCH_USAGE_FILE;
  if (file) writeFileSync(file, JSON.stringify(process.resourceUsage()));
});
