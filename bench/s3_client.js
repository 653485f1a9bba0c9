// The peer for bench/remote.sh: uploads a folder to S3, or downloads a prefix, with
// @aws-sdk/client-s3 at a fixed concurrency; files above 64 MiB go up as multipart uploads with
// 16 MiB parts, as mlops does. Keys are the files' relative paths.
// Usage: node s3_client.js upload|download ENDPOINT BUCKET PREFIX DIR CONCURRENCY
"use strict";
const fs = require("fs");
const path = require("path");
const { pipeline } = require("stream/promises");
const {
  S3Client, PutObjectCommand, GetObjectCommand, ListObjectsV2Command,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
} = require("@aws-sdk/client-s3");

const PART = 16 * 1024 * 1024;
const THRESHOLD = 64 * 1024 * 1024;

function walk(dir, base = dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(path.relative(base, p));
  }
  return out;
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function main() {
  const [mode, endpoint, bucket, prefix, dir, conc] = process.argv.slice(2);
  const n = Number(conc);
  const s3 = new S3Client({
    endpoint, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 5,
  });
  if (mode === "upload") {
    const files = walk(dir);
    await pool(files, n, async (rel) => {
      const file = path.join(dir, rel);
      const Key = `${prefix}/${rel}`;
      const size = fs.statSync(file).size;
      if (size <= THRESHOLD) {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: fs.readFileSync(file) }));
        return;
      }
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
      const parts = [];
      const fd = fs.openSync(file, "r");
      const numbers = Array.from({ length: Math.ceil(size / PART) }, (_, i) => i + 1);
      await pool(numbers, n, async (PartNumber) => {
        const len = Math.min(PART, size - (PartNumber - 1) * PART);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, (PartNumber - 1) * PART);
        const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body: buf }));
        parts[PartNumber - 1] = { PartNumber, ETag: r.ETag };
      });
      fs.closeSync(fd);
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
    });
    console.log(`uploaded ${files.length} files`);
  } else {
    // Folder by folder (each under 1000 keys): s3rver 3.7.1 fails continuation tokens on big buckets.
    const keys = [];
    const list = async (Prefix, Delimiter) => {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix, Delimiter }));
      if (page.IsTruncated) throw new Error(`listing ${Prefix} needs more than one page`);
      return page;
    };
    const top = await list(`${prefix}/`, "/");
    for (const o of top.Contents || []) keys.push(o.Key);
    for (const p of top.CommonPrefixes || []) for (const o of (await list(p.Prefix)).Contents || []) keys.push(o.Key);
    await pool(keys, n, async (Key) => {
      const out = path.join(dir, Key.slice(prefix.length + 1));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      await pipeline(r.Body, fs.createWriteStream(out));
    });
    console.log(`downloaded ${keys.length} files`);
  }
}
main().catch((e) => {
  console.error(`s3_client: ${e.name}: ${e.message}`);
  process.exit(1);
});
