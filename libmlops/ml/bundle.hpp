// The model bundle: a folder with the TorchScript module (model.pt), manifest.json (input
// signature, preprocessing statistics, class labels, the effective spec, data oids, code commit,
// metrics, and the SHA-256 of every other file), history.csv (per epoch) and metrics.json.
// It is written into a temporary folder next to its destination and renamed into place at the end,
// so a failed train leaves nothing behind; it is verified against the manifest before every use.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/util/error.hpp>

namespace mlops::ml {

constexpr const char* k_bundle_format = "mlops-model 1";
constexpr const char* k_model_file = "model.pt";
constexpr const char* k_manifest_file = "manifest.json";
constexpr const char* k_history_file = "history.csv";
constexpr const char* k_metrics_file = "metrics.json";

// A fresh temporary folder next to `dest` (same filesystem, so the final rename is atomic).
util::Result<std::string> make_bundle_temp(const std::string& dest);
// Records the SHA-256 and size of each file of `files` (inside `dir`) under manifest["files"].
util::Status hash_bundle_files(const std::string& dir, const std::vector<std::string>& files, nlohmann::json& manifest);
// Fails unless `dest` is absent, an empty folder or a model bundle (which train may replace).
util::Status check_bundle_destination(const std::string& dest);
// Renames `tmp` to `dest`; an existing bundle at `dest` is replaced (moved aside, then removed).
util::Status publish_bundle(const std::string& tmp, const std::string& dest);
// Removes a folder tree (the temporary bundle after a failure).
void remove_tree(const std::string& dir);

// Reads `dir`/manifest.json and checks every file it lists against its SHA-256 (integrity error,
// exit 3, on a mismatch or a missing file). Returns the manifest.
util::Result<nlohmann::json> open_bundle(const std::string& dir);

// The deterministic text of a JSON document as mlops writes it (2-space indent, sorted keys).
std::string json_text(const nlohmann::json& j);

} // namespace mlops::ml
