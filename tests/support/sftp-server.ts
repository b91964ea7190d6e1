// OpenSSH's sshd (Debian openssh-server, installed by scripts/test.sh) on a free loopback port,
// with its own sshd_config, a generated host key and a generated user key: an SFTP server
// (internal-sftp) that signs in only this machine's current user with that key.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import path from "node:path";
import { freePort } from "./server";
import { tempDir } from "./temp";

export const SSHD = "/usr/sbin/sshd";

export type SftpServer = {
  host: string;
  port: number;
  user: string;
  /** The private key that signs in (give it to OPSTAGE_REPLICATION_SFTP_KEY_PATH). */
  keyPath: string;
  /** A folder on the server writable by the user. */
  root: string;
  output: () => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
};

/** The processes started by pid, and theirs, from /proc (their parent pid). */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function keygen(file: string): void {
  const result = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
}

async function listening(port: number, timeoutMs: number, exited: () => boolean, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`sshd exited:\n${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port}:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startSftpServer(): Promise<SftpServer> {
  const dir = tempDir("opstage-sshd-");
  const port = await freePort();
  const hostKey = path.join(dir, "host_ed25519");
  const userKey = path.join(dir, "user_ed25519");
  keygen(hostKey);
  keygen(userKey);
  writeFileSync(path.join(dir, "authorized_keys"), readFileSync(`${userKey}.pub`));
  const root = path.join(dir, "replicas");
  mkdirSync(root);
  // sshd refuses to start without its privilege separation folder.
  mkdirSync("/run/sshd", { recursive: true });
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      // The temp folders are not owned the way sshd's checks want.
      "StrictModes no",
      "UsePAM no",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  let child: ChildProcess | null = null;
  let output = "";
  const server: SftpServer = {
    host: "127.0.0.1",
    port,
    user: userInfo().username,
    keyPath: userKey,
    root,
    output: () => output,
    start: async () => {
      const proc = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      proc.stdout!.on("data", (chunk) => (output += chunk));
      proc.stderr!.on("data", (chunk) => (output += chunk));
      await listening(
        port,
        10_000,
        () => proc.exitCode !== null,
        () => output,
      );
    },
    // A real outage: the listener and every session it started (sshd keeps open sessions alive
    // when only the listener stops).
    stop: async () => {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null || !proc.pid) return;
      for (const pid of descendantsOf(proc.pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      proc.kill("SIGTERM");
      await exited;
    },
  };
  await server.start();
  return server;
}
