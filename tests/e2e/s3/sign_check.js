// Re-signs every request mlops logged (MLOPS_S3_SIGN_LOG) with the AWS SDK's own signer
// (@smithy/signature-v4) and checks that both signatures are the same. s3rver does not verify
// SigV4, so this is what proves the signature. Usage: node sign_check.js LOG SECRET_KEY
"use strict";
const fs = require("fs");
const { SignatureV4 } = require("@smithy/signature-v4");
const { Sha256 } = require("@aws-crypto/sha256-js");

async function main() {
  const [log, secret] = process.argv.slice(2);
  const lines = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  const methods = {};
  let mismatches = 0;
  for (const line of lines) {
    const r = JSON.parse(line);
    const signer = new SignatureV4({
      credentials: { accessKeyId: r.access_key_id, secretAccessKey: secret },
      region: r.region,
      service: "s3",
      sha256: Sha256,
      uriEscapePath: false, // S3 signs the path as sent, not double-encoded
      applyChecksum: false,
    });
    const headers = {};
    for (const [k, v] of r.headers) headers[k] = v;
    const query = {};
    for (const [k, v] of r.query) query[k] = v;
    const [hostname, port] = r.host.split(":");
    const request = {
      method: r.method,
      protocol: r.https ? "https:" : "http:",
      hostname,
      port: port ? Number(port) : undefined,
      path: r.path,
      query,
      headers,
      body: undefined,
    };
    const at = r.amz_date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
    const signed = await signer.sign(request, { signingDate: new Date(at) });
    const auth = signed.headers.authorization || signed.headers.Authorization;
    const sdk = /Signature=([0-9a-f]+)/.exec(auth)[1];
    const sdkSigned = /SignedHeaders=([^,]+)/.exec(auth)[1];
    methods[r.method] = (methods[r.method] || 0) + 1;
    if (sdk !== r.signature || sdkSigned !== r.signed_headers) {
      mismatches++;
      if (mismatches <= 5)
        console.error(`MISMATCH ${r.method} ${r.path} ${JSON.stringify(query)}: mlops ${r.signed_headers} ${r.signature}, sdk ${sdkSigned} ${sdk}`);
    }
  }
  console.log(`checked ${lines.length} signatures (${Object.entries(methods).map(([m, n]) => `${m}:${n}`).join(" ")}), ${mismatches} mismatches`);
  process.exit(mismatches === 0 && lines.length > 0 ? 0 : 1);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
