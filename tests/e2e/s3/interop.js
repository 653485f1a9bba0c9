// What mlops pushed, seen by @aws-sdk/client-s3: lists the prefix, downloads every object and
// checks that its content hashes to its name, and (with STORE_DIR) that it is byte-identical to
// the local object. Usage: node interop.js ENDPOINT BUCKET PREFIX [STORE_DIR]
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { S3Client, ListObjectsV2Command, GetObjectCommand } = require("@aws-sdk/client-s3");

async function main() {
  const [endpoint, bucket, prefix, store] = process.argv.slice(2);
  const s3 = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const keys = [];
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix ? prefix + "/" : "", ContinuationToken: token }));
    for (const o of page.Contents || []) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  let bad = 0;
  for (const key of keys) {
    const rel = prefix ? key.slice(prefix.length + 1) : key;
    const m = /^([0-9a-f]{2})\/([0-9a-f]{62})$/.exec(rel);
    if (!m) {
      console.error(`unexpected key ${key}`);
      bad++;
      continue;
    }
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(await obj.Body.transformToByteArray());
    const sha = crypto.createHash("sha256").update(body).digest("hex");
    if (sha !== m[1] + m[2]) {
      console.error(`${key}: content hashes to ${sha}`);
      bad++;
    }
    if (store) {
      const local = fs.readFileSync(path.join(store, m[1], m[2]));
      if (!local.equals(body)) {
        console.error(`${key}: differs from the local object`);
        bad++;
      }
    }
  }
  console.log(`${keys.length} objects listed and read back, ${bad} bad`);
  process.exit(bad === 0 && keys.length > 0 ? 0 : 1);
}
main().catch((e) => {
  console.error(`interop: ${e.name}: ${e.message}`);
  process.exit(1);
});
