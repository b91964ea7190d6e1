// Starts the real production build (the assembled standalone folder) on a free loopback port,
// with its own data dir, exactly as `node cli.mjs serve` runs in the image.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import "./http-client";

export const projectRoot = path.resolve(__dirname, "../..");
export const standaloneDir = path.join(projectRoot, ".next/standalone");
export const TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export type RunningServer = {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
};

export type ServerOptions = { dataDir: string; env?: Record<string, string>; appDir?: string };

function serverEnv(options: ServerOptions, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    OPSTAGE_SESSION_SECRET: TEST_SECRET,
    // The tests read the server's readable lines; one test reads the JSON ones (lifecycle).
    OPSTAGE_LOG_FORMAT: "pretty",
    // The tests' alert receivers listen on 127.0.0.1, which a production console refuses
    // (lib/alerts/target-address.ts); the test of that refusal sets this back to false.
    OPSTAGE_ALERTS_ALLOW_PRIVATE_TARGETS: "true",
    ...options.env,
    // Always the test's own: never a real data dir or a fixed port.
    OPSTAGE_DATA_DIR: options.dataDir,
    OPSTAGE_HOST: "127.0.0.1",
    OPSTAGE_PORT: String(port),
  };
}

export type SpawnedServer = {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
};

/** Spawns `node cli.mjs serve` in the app folder without waiting for anything. */
export async function spawnServer(options: ServerOptions): Promise<SpawnedServer> {
  const appDir = options.appDir ?? standaloneDir;
  if (!existsSync(path.join(appDir, "cli.mjs"))) {
    throw new Error(`${appDir}/cli.mjs is missing: run \`npm run build\` first`);
  }
  const port = await freePort();
  const child = spawn(process.execPath, ["cli.mjs", "serve"], {
    cwd: appDir,
    env: serverEnv(options, port),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => output, exited };
}

/** Runs the server until /api/health answers 200; rejects with its output if it exits first. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { url, process: child, output, exited } = await spawnServer(options);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become healthy in 60 s:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    process: child,
    output,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs the server expecting it to refuse to start; returns its exit code and output. */
export async function runServerToExit(options: ServerOptions, timeoutMs = 60_000) {
  const { process: child, output, exited } = await spawnServer(options);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: output() };
}

/** Runs the bundled CLI (`node cli.mjs …`) against a data dir, feeding `input` on stdin. */
export function runCli(
  dataDir: string,
  args: string[],
  input = "",
  appDir = standaloneDir,
  env: Record<string, string> = {},
) {
  const result = spawnSync(process.execPath, ["cli.mjs", ...args], {
    cwd: appDir,
    input,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", OPSTAGE_DATA_DIR: dataDir, ...env },
    encoding: "utf8",
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}
