// Runs the inspect tasks (worker-tasks.ts) in a worker thread of their own: reading a 1 GB
// backup or comparing two takes seconds of SQLite work that must not stall the server's event
// loop, and a connection of the worker's own never touches the server's. A worker serves one
// browse request, one comparison or one export (a page after another), and is ended after it;
// cancelling ends it at once (it only reads, so nothing is left half done).
import { Worker } from "node:worker_threads";
import { findAppPath } from "../db/paths";
import { loadedSqliteBinding } from "../db/sqlite-binding";
import { KnownError } from "../errors";
import type { InspectReply, InspectRequest, InspectTasks } from "./worker-tasks";
import type { CompareProgress } from "./types";

export class InspectCancelledError extends KnownError {
  override name = "InspectCancelledError";
  constructor() {
    super("conflict", "cancelled", "The comparison was cancelled.");
  }
}

/** A failure inside the worker, with SQLite's code (SQLITE_NOTADB, SQLITE_CORRUPT, …) when it has one. */
export class InspectTaskError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type TaskOptions = { onProgress?: (progress: CompareProgress) => void; signal?: AbortSignal };

/** One worker thread; one task at a time (each call waits for the one before to be answered). */
export class InspectWorker {
  private readonly worker = new Worker(findAppPath("dist/inspect-worker.cjs"), {
    workerData: { opstageInspectWorker: true },
  });
  private pending: { reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor() {
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the inspect worker exited with code ${code}`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.pending?.reject(error);
    this.pending = null;
  }

  call<K extends keyof InspectTasks>(
    task: K,
    args: Parameters<InspectTasks[K]>[0],
    options: TaskOptions = {},
  ): Promise<ReturnType<InspectTasks[K]>> {
    const run = () => this.send(task, args, options);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => {});
    return result;
  }

  private send<K extends keyof InspectTasks>(
    task: K,
    args: Parameters<InspectTasks[K]>[0],
    { signal, onProgress }: TaskOptions,
  ): Promise<ReturnType<InspectTasks[K]>> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(new InspectCancelledError());
    // The worker loads the very native module the server loaded (lib/db/sqlite-binding.ts says why).
    const request = { task, args, nativeBinding: loadedSqliteBinding() } as InspectRequest;
    return new Promise((resolve, reject) => {
      const done = () => {
        this.worker.off("message", onMessage);
        signal?.removeEventListener("abort", onAbort);
        this.pending = null;
      };
      const onAbort = () => {
        done();
        void this.close();
        reject(new InspectCancelledError());
      };
      const onMessage = (reply: InspectReply) => {
        if ("progress" in reply) return onProgress?.(reply.progress);
        done();
        if (reply.ok) resolve(reply.result as ReturnType<InspectTasks[K]>);
        else reject(new InspectTaskError(reply.message, reply.code));
      };
      this.pending = {
        reject: (error) => {
          done();
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.worker.on("message", onMessage);
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the inspect worker was closed");
    await this.worker.terminate();
  }
}

/** One task in a worker of its own, ended once it answers. */
export async function runInspectTask<K extends keyof InspectTasks>(
  task: K,
  args: Parameters<InspectTasks[K]>[0],
  options: TaskOptions = {},
): Promise<ReturnType<InspectTasks[K]>> {
  const worker = new InspectWorker();
  try {
    return await worker.call(task, args, options);
  } finally {
    void worker.close();
  }
}
