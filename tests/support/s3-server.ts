// Starts s3rver as a separate process on a free loopback port, and stops and starts it again on
// the same port and folder (a real outage for the retry tests).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { freePort } from "./server";
import { tempDir } from "./temp";

export type S3TestServer = {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  directory: string;
  /** Everything the process printed. */
  output: () => string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** The OPSTAGE_OFFSITE_* variables for this server. */
  env: (prefix: string) => Record<string, string>;
  /** The file holding an object's bytes (to damage it in a test). */
  objectFile: (key: string) => string;
  /** Keys of the objects under `prefix`, from the files on disk. */
  keys: (prefix: string) => string[];
  /** The multipart uploads under way (or abandoned) under `prefix`, with their parts stored so far. */
  incompleteUploads: (prefix: string) => { key: string; uploadId: string; parts: number }[];
};

export async function startS3Server(bucket = "opstage-offsite"): Promise<S3TestServer> {
  const port = await freePort();
  const directory = tempDir("opstage-s3-");
  const accessKeyId = `TESTKEY${randomBytes(4).toString("hex").toUpperCase()}`;
  // Distinctive, so a test can look for it in everything the Opstage server printed.
  const secretAccessKey = `offsite-secret-${randomBytes(12).toString("hex")}`;
  let child: ChildProcess | null = null;
  let output = "";

  const start = async () => {
    const proc = spawn(process.execPath, [path.join(__dirname, "s3rver-process.cjs")], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "test",
        S3_PORT: String(port),
        S3_DIR: directory,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: accessKeyId,
        S3_SECRET_ACCESS_KEY: secretAccessKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes(`s3rver listening on ${port}`)) resolve();
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", (chunk) => (output += chunk));
      proc.once("exit", (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
    });
  };
  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    await exited;
  };
  process.once("exit", () => child?.kill("SIGKILL"));
  await start();

  const objectFile = (key: string) => {
    const parts = key.split("/");
    const base = parts.pop()!;
    return path.join(directory, bucket, ...parts, `${base}._S3rver_object`);
  };
  const keys = (prefix: string): string[] => {
    const root = path.join(directory, bucket);
    const found: string[] = [];
    // The server may be deleting objects meanwhile (remote retention runs in the background): an
    // entry gone between readdir and stat was deleted, and is not listed.
    const walk = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      for (const name of names) {
        const full = path.join(dir, name);
        const stats = statSync(full, { throwIfNoEntry: false });
        if (stats?.isDirectory()) walk(full);
        else if (stats && name.endsWith("._S3rver_object"))
          found.push(path.relative(root, full).slice(0, -"._S3rver_object".length));
      }
    };
    walk(root);
    return found.filter((key) => key.startsWith(prefix)).sort();
  };

  const incompleteUploads = (prefix: string) => {
    const uploads = path.join(directory, bucket, "._S3rver_uploads");
    let ids: string[];
    try {
      ids = readdirSync(uploads);
    } catch {
      return [];
    }
    return ids
      .map((uploadId) => {
        let names: string[];
        let key: string;
        try {
          names = readdirSync(path.join(uploads, uploadId));
          key = readFileSync(path.join(uploads, uploadId, "key"), "utf8");
        } catch {
          return null; // completed or aborted meanwhile
        }
        return { key, uploadId, parts: names.filter((name) => /^\d+$/.test(name)).length };
      })
      .filter(
        (upload): upload is { key: string; uploadId: string; parts: number } => upload?.key.startsWith(prefix) ?? false,
      );
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    directory,
    output: () => output,
    stop,
    start,
    objectFile,
    keys,
    incompleteUploads,
    env: (prefix) => ({
      OPSTAGE_OFFSITE_ENDPOINT: `http://127.0.0.1:${port}`,
      OPSTAGE_OFFSITE_REGION: "us-east-1",
      OPSTAGE_OFFSITE_BUCKET: bucket,
      OPSTAGE_OFFSITE_PREFIX: prefix,
      OPSTAGE_OFFSITE_PATH_STYLE: "true",
      OPSTAGE_OFFSITE_ACCESS_KEY_ID: accessKeyId,
      OPSTAGE_OFFSITE_SECRET_ACCESS_KEY: secretAccessKey,
    }),
  };
}
