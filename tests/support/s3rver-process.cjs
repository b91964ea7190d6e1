// A real S3 server process for the offsite tests: s3rver on 127.0.0.1, its objects on disk in
// S3_DIR (so a restart keeps them), one bucket, and the access key pair the test chose.
const fs = require("node:fs");
const path = require("node:path");
const S3rver = require("s3rver");
const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account");

const { S3_PORT, S3_DIR, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = process.env;
DUMMY_ACCOUNT.createKeyPair(S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY);

const server = new S3rver({
  address: "127.0.0.1",
  port: Number(S3_PORT),
  silent: true,
  directory: S3_DIR,
  configureBuckets: [{ name: S3_BUCKET }],
  vhostBuckets: false,
});
// s3rver 3 implements neither ListMultipartUploads (GET /bucket?uploads) nor AbortMultipartUpload
// (DELETE /bucket/key?uploadId=…), which real stores have and the offsite copy uses to abort what
// a killed upload left. Both, on s3rver's own layout of an upload under way: a folder per upload
// id in <bucket>/._S3rver_uploads holding the key and the parts. Ahead of s3rver's router, so
// without its signature check: this is a test server on 127.0.0.1.
const uploadsDir = path.join(S3_DIR, S3_BUCKET, "._S3rver_uploads");
const xml = (body) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
server.middleware.unshift(async (ctx, next) => {
  const url = new URL(ctx.url, "http://s3rver");
  const [, bucket, ...keyParts] = url.pathname.split("/");
  if (bucket !== S3_BUCKET) return next();
  const key = keyParts.map(decodeURIComponent).join("/");
  if (ctx.method === "GET" && key === "" && url.searchParams.has("uploads")) {
    const prefix = url.searchParams.get("prefix") ?? "";
    const uploads = (fs.existsSync(uploadsDir) ? fs.readdirSync(uploadsDir) : [])
      .map((uploadId) => {
        const dir = path.join(uploadsDir, uploadId);
        const keyFile = path.join(dir, "key");
        if (!fs.existsSync(keyFile)) return null;
        return { uploadId, key: fs.readFileSync(keyFile, "utf8"), initiated: fs.statSync(keyFile).mtime };
      })
      .filter((upload) => upload && upload.key.startsWith(prefix));
    ctx.type = "application/xml";
    ctx.body = xml(
      `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket>` +
        `<Prefix>${escape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
        uploads
          .map(
            (upload) =>
              `<Upload><Key>${escape(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId>` +
              `<Initiated>${upload.initiated.toISOString()}</Initiated></Upload>`,
          )
          .join("") +
        `</ListMultipartUploadsResult>`,
    );
    return;
  }
  if (ctx.method === "DELETE" && url.searchParams.has("uploadId")) {
    const uploadId = url.searchParams.get("uploadId");
    const dir = path.join(uploadsDir, path.basename(uploadId));
    if (!fs.existsSync(dir)) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = xml(`<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`);
      return;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  return next();
});

server.run().then(
  () => console.log(`s3rver listening on ${S3_PORT}`),
  (error) => {
    console.error(`s3rver failed: ${error.message}`);
    process.exit(1);
  },
);
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
