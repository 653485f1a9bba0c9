// Starts s3rver (npm, 3.7.1) on a free loopback port for the tests; prints "PORT <n>" once it
// listens and runs until it is sent SIGTERM. Usage: node server.js DATA_DIR [BUCKET...]
"use strict";
const S3rver = require("s3rver");

const [dir, ...buckets] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node server.js DATA_DIR [BUCKET...]");
  process.exit(2);
}
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name })),
});
server.run().then(
  (addr) => console.log(`PORT ${addr.port}`),
  (err) => {
    console.error(`s3rver: ${err.message}`);
    process.exit(1);
  },
);
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
