// Preloaded into a server under test (NODE_OPTIONS=--require): when the process exits, writes
// the path of every CommonJS module it loaded, one per line, to $LOADED_MODULES_FILE.
const { writeFileSync } = require("node:fs");

process.on("exit", () => {
  writeFileSync(process.env.LOADED_MODULES_FILE, Object.keys(require.cache).join("\n"));
});
