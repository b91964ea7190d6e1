import { rmSync } from "node:fs";
import { runCli, startServer } from "../tests/support/server";
import { tempDir } from "../tests/support/temp";
import { E2E } from "./fixture";

export default async function globalSetup() {
  const dataDir = tempDir("opstage-e2e-");
  // Replication on (to a folder), as a production console with a replica runs: every spec then
  // runs with Litestream beside the server, and Settings → Replication has something to show.
  const replication = {
    OPSTAGE_REPLICATION: "file",
    OPSTAGE_REPLICATION_PATH: tempDir("opstage-e2e-replica-"),
    OPSTAGE_REPLICATION_SYNC_INTERVAL: "1s",
  };
  const server = await startServer({
    dataDir,
    env: { OPSTAGE_ADMIN_USERNAME: E2E.owner.username, OPSTAGE_ADMIN_PASSWORD: E2E.owner.password, ...replication },
  });
  const viewer = runCli(
    dataDir,
    ["user", "create", E2E.viewer.username, "--role", "viewer"],
    `${E2E.viewer.password}\n`,
    undefined,
    replication,
  );
  if (viewer.code !== 0) throw new Error(`creating the viewer failed: ${viewer.stderr}`);
  const operator = runCli(
    dataDir,
    ["user", "create", E2E.operator.username, "--role", "operator"],
    `${E2E.operator.password}\n`,
  );
  if (operator.code !== 0) throw new Error(`creating the operator failed: ${operator.stderr}`);
  process.env.OPSTAGE_E2E_URL = server.url;
  process.env.OPSTAGE_E2E_DATA_DIR = dataDir;
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
