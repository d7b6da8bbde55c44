// Everything the test suites run against, built in one process: the generated files, the bundle the
// CLI tests start (dist/main.js) and the compiled tests (dist-test/).
await import("./generate.js");
await import("./bundle.js");
await import("./compile-tests.js");
