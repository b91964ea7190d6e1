// A separate process that commits numbered rows into opstage.db (AuditEvent, id `<prefix>-<n>`)
// every few milliseconds and remembers when each commit returned. On SIGTERM it prints
// { commits: [[n, startedMs, committedMs], …], errors } as JSON and exits. Like the server's own connections
// while replication is on, it never checkpoints (wal_autocheckpoint = 0): Litestream owns that.
// argv: <better-sqlite3 path> <database> <prefix> <interval ms>
const Database = require(process.argv[2]);
const db = new Database(process.argv[3], { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = FULL");
db.pragma("wal_autocheckpoint = 0");
const prefix = process.argv[4];
const intervalMs = Number(process.argv[5] ?? 5);
const insert = db.prepare(
  `INSERT INTO AuditEvent (id, actorType, action, result, message, createdAt)
   VALUES (?, 'SYSTEM', 'test.writer', 'SUCCESS', 'numbered row', CURRENT_TIMESTAMP)`,
);
const commits = [];
let errors = 0;
let stopping = false;

function tick() {
  if (stopping) return;
  const n = commits.length;
  const startedAt = Date.now();
  try {
    insert.run(`${prefix}-${n}`);
    commits.push([n, startedAt, Date.now()]);
  } catch {
    errors += 1;
  }
  setTimeout(tick, intervalMs);
}

process.on("SIGTERM", () => {
  stopping = true;
  // Exit once the output is written: a pipe takes it asynchronously, and a large one would be cut.
  process.stdout.write(JSON.stringify({ commits, errors }), () => process.exit(0));
});
process.send?.("ready");
tick();
