// The comparison baseline for memory, kept only in the benchmark: the obvious implementation
// that snapshots and then readFile()s the whole snapshot into memory before sending it.
// argv: <better-sqlite3 path> <database> <scratch dir>; prints its port when listening.
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const Database = require(process.argv[2]);
const [source, scratch] = [process.argv[3], process.argv[4]];
let n = 0;

http
  .createServer(async (req, res) => {
    const out = path.join(scratch, `naive-${process.pid}-${n++}.db`);
    const db = new Database(source, { readonly: true });
    await db.backup(out, { progress: () => 0x7fffffff });
    db.close();
    const body = await fs.promises.readFile(out); // the whole database in memory
    res.writeHead(200, { "Content-Type": "application/vnd.sqlite3", "Content-Length": body.length });
    res.end(body, () => fs.rmSync(out, { force: true }));
  })
  .listen(0, "127.0.0.1", function () {
    console.log(this.address().port);
  });
