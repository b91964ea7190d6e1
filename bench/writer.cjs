// A separate process that inserts one row per ~1 ms into opstage.db (busy_timeout set, like any
// other client) and reports its transaction latencies. Stops on SIGTERM; prints JSON to stdout.
// argv: <better-sqlite3 path> <database> <run label>
const Database = require(process.argv[2]);
const db = new Database(process.argv[3]);
db.pragma("busy_timeout = 5000");
const label = process.argv[4];
const insert = db.prepare(
  `INSERT INTO AuditEvent (id, actorType, action, result, message, createdAt)
   VALUES (?, 'SYSTEM', 'bench.writer', 'SUCCESS', 'one row per millisecond', CURRENT_TIMESTAMP)`,
);
const latencies = [];
let committed = 0;
let errors = 0;
let stopping = false;

function tick() {
  if (stopping) return;
  const started = process.hrtime.bigint();
  try {
    insert.run(`bench-${label}-${committed}`);
    committed += 1;
  } catch {
    errors += 1;
  }
  latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  setTimeout(tick, 1);
}

process.on("SIGTERM", () => {
  stopping = true;
  db.close();
  // Exit once the output is written: a pipe takes it asynchronously, and a long run's would be cut.
  process.stdout.write(JSON.stringify({ label, committed, errors, latencies }), () => process.exit(0));
});
process.send?.("ready");
tick();
