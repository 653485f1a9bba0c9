// What model sign/verify, serve and export share about signatures (docs/serving.md, "Signing"):
// where a model's signatures are (the registry for NAME:VERSION and NAME@ALIAS, `<folder>.sig.json`
// next to a plain folder) and the check by a public key.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <mlops/signing/signing.hpp>

#include <CLI/CLI.hpp>

#include "ml_cli.hpp"

namespace mlops::cli {

// The signature of `m` made with the key in `pubkey_path`, if there is one (not yet checked).
struct KeySignature {
    std::string key_what; // the public key file, for messages
    std::string public_pem;
    std::string key_id;
    std::optional<signing::Signature> signature;
};
KeySignature find_signature(Context& ctx, const ResolvedModel& m, const std::string& pubkey_path);

// serve/export --require-signature: stops the command (exit 3) unless `m` carries a valid signature by
// the key, naming what failed (no signature by that key, the signature, the file that differs).
signing::Signature require_signature(Context& ctx, const ResolvedModel& m, const std::string& pubkey_path);

// `mlops model sign` and `mlops model verify`, added to the `model` command (cmd_model_sign.cpp); the
// runner returns nullopt when neither was given.
std::function<std::optional<int>(Context&)> register_model_signing(CLI::App& model);

// "<folder>.sig.json": the signature file of a plain folder.
std::string signature_file_of(const std::string& dir);

// How a model is named in messages: "churn:3" or the folder.
std::string model_label(const ResolvedModel& m);

} // namespace mlops::cli
