// A real S3 server process for the offsite tests: s3rver on 127.0.0.1, its objects on disk in
// S3_DIR (so a restart keeps them), one bucket, and the access key pair the test chose.
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
server.run().then(
  () => console.log(`s3rver listening on ${S3_PORT}`),
  (error) => {
    console.error(`s3rver failed: ${error.message}`);
    process.exit(1);
  },
);
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
