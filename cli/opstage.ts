// The operator CLI's entry. Locally: `npm run opstage -- <command>`; in the image: `node cli.mjs
// <command>`. `serve` (the image's CMD) validates the configuration and starts Next's server in
// this process, loading nothing else: the other commands' modules (Prisma's client among them)
// took most of a second to load before the server could even begin to start.
import * as nodeModule from "node:module";
import path from "node:path";
import { ConfigError, getConfig } from "../lib/config";
import { findAppPath } from "../lib/db/paths";
import { stampPeerAddresses } from "./peer-address";

// Node 22.1+ (the image runs 24) can keep the code V8 compiles for each module in a folder and
// reuse it on the next start; compiling Next's server modules is most of the time before the
// first request is answered. The folder is in the app's own Next cache (writable in the image,
// and new with each build). Node 20 has no such API: there this does nothing, and a folder that
// cannot be written only means no cache (Node reports it and never throws).
function enableCompileCache(appDir: string): void {
  const { enableCompileCache: enable } = nodeModule as { enableCompileCache?: (directory: string) => unknown };
  enable?.(path.join(appDir, ".next", "cache", "node-compile-cache"));
}

// Maps Opstage's variables onto the ones Next's standalone server reads, after validating them
// all, then runs the server in this process.
async function serve(): Promise<void> {
  const config = getConfig();
  process.env.PORT = String(config.port);
  process.env.HOSTNAME = config.host;
  // SIGTERM and SIGINT are the server's to handle (lib/system/shutdown.ts), not Next's.
  process.env.NEXT_MANUAL_SIG_HANDLE = "1";
  stampPeerAddresses();
  const serverPath = findAppPath("server.js");
  enableCompileCache(path.dirname(serverPath));
  await import(serverPath);
}

const argv = process.argv.slice(2);
if (argv[0] === "serve") {
  serve().catch((error: unknown) => {
    console.error(`opstage: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
} else {
  void import("./commands").then(({ runCommand }) => runCommand(argv));
}
