// The operator CLI's entry. Locally: `npm run opstage -- <command>`; in the image: `node cli.mjs
// <command>`. `serve` (the image's CMD) validates the configuration and starts Next's server in
// this process, loading nothing else: the other commands' modules (Prisma's client among them)
// took most of a second to load before the server could even begin to start.
import { ConfigError, getConfig } from "../lib/config";
import { findAppPath } from "../lib/db/paths";
import { stampPeerAddresses } from "./peer-address";

// Maps Opstage's variables onto the ones Next's standalone server reads, after validating them
// all, then runs the server in this process.
async function serve(): Promise<void> {
  const config = getConfig();
  process.env.PORT = String(config.port);
  process.env.HOSTNAME = config.host;
  stampPeerAddresses();
  await import(findAppPath("server.js"));
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
