// Model signing (docs/serving.md, "Signing"): the idea of the OpenSSF model-signing format, a signed
// list of file digests. The payload is a manifest of every file of a model folder (path, size,
// SHA-256), the signature an Ed25519 signature over that text. A signature is a JSON object
// (`mlops-model-signature`) holding the manifest, the public key and the signature, so it can be
// checked on its own; the registry stores it as an object linked to the version (it travels with
// push and fetch), and `mlops export` writes it next to the exported folder as `<folder>.sig.json`.
// Verifying checks the signature over the manifest, then the folder against the manifest: a changed,
// missing or added file fails, naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <mlops/store/tree.hpp>
#include <mlops/util/error.hpp>

namespace mlops::signing {

constexpr const char* k_signature_type = "mlops-model-signature";

// Every regular file under `dir` (relative '/'-separated paths, sorted) with its SHA-256 and size:
// the tree `mlops add` would record for the folder.
util::Result<store::Tree> digest_folder(const std::string& dir);
// The tree's oid (what the registry calls the model's oid).
std::string tree_oid(const store::Tree& t);

// The text that is signed: "mlops-signed-manifest 1\n" then "<sha256> <size> <path>\n" per file.
std::string signed_payload(const store::Tree& files);

struct Signature {
    std::string oid;      // of the object, when read from the registry
    std::string name;     // registry model and version ("" and 0 for a folder signed directly)
    int version = 0;
    std::string entry;    // the version entry's oid
    std::string model_oid;
    std::string key_id;   // util::ed25519_key_id of the public key
    std::string public_pem;
    store::Tree files;
    std::string signature; // base64 Ed25519 over signed_payload(files)
    std::string user, host;
    std::int64_t time_ns = 0;
};

std::string serialize(const Signature& s);
// `what` names the source in errors (a file, an object).
util::Result<Signature> parse(const std::string& text, const std::string& what);

// Signs the folder's files with the private key (PEM); fills model_oid, files, key and signature.
util::Result<Signature> sign_folder(const std::string& dir, const std::string& private_pem, const std::string& key_what);

// Checks `sig` for `dir` against the public key: an integrity error (exit 3) when the signature does
// not verify or a file differs from the signed manifest (naming it).
util::Status verify_folder(const Signature& sig, const std::string& dir, const std::string& public_pem,
                           const std::string& key_what);

} // namespace mlops::signing
