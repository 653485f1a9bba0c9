#include <mlops/ml/bundle.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::ml {

std::string json_text(const nlohmann::json& j) { return j.dump(2) + "\n"; }

util::Result<std::string> make_bundle_temp(const std::string& dest) {
    std::string parent = util::parent_path(dest);
    if (parent.empty()) parent = ".";
    MLOPS_TRYV(util::make_dirs(parent));
    std::string tmp = util::temp_name_in(parent);
    if (::mkdir(tmp.c_str(), 0755) != 0) return util::fail(util::Error::from_errno(tmp, errno));
    return tmp;
}

util::Status hash_bundle_files(const std::string& dir, const std::vector<std::string>& files, nlohmann::json& manifest) {
    for (const auto& f : files) {
        std::string path = util::join_path(dir, f);
        auto oid = MLOPS_TRY(util::sha256_file(path));
        auto st = MLOPS_TRY(util::stat_path(path));
        manifest["files"][f] = {{"sha256", oid}, {"size", st ? st->size : 0}};
    }
    return {};
}

void remove_tree(const std::string& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

util::Status check_bundle_destination(const std::string& dest) {
    auto st = MLOPS_TRY(util::stat_path(dest));
    if (!st) return {};
    if (!st->is_dir)
        return util::fail(util::Error::usage(fmt::format("{}: exists and is not a model bundle folder", dest)));
    // Only a bundle (or an empty folder) is replaced: `-o data` must never delete the user's data.
    std::error_code ec;
    if (std::filesystem::is_empty(dest, ec)) return {};
    auto manifest = util::read_file(util::join_path(dest, k_manifest_file));
    if (manifest && manifest->find(std::string("\"format\": \"") + k_bundle_format + "\"") != std::string::npos)
        return {};
    return util::fail(util::Error::usage(
        fmt::format("{}: exists and is not a model bundle; not replacing it (choose another -o or remove it)", dest)));
}

util::Status publish_bundle(const std::string& tmp, const std::string& dest) {
    MLOPS_TRYV(check_bundle_destination(dest));
    auto st = MLOPS_TRY(util::stat_path(dest));
    std::string aside;
    if (st) {
        aside = util::temp_name_in(util::parent_path(dest).empty() ? "." : util::parent_path(dest));
        if (::rename(dest.c_str(), aside.c_str()) != 0) return util::fail(util::Error::from_errno(dest, errno));
    }
    if (::rename(tmp.c_str(), dest.c_str()) != 0) {
        int e = errno;
        if (!aside.empty()) ::rename(aside.c_str(), dest.c_str());
        return util::fail(util::Error::from_errno(dest, e));
    }
    if (!aside.empty()) remove_tree(aside);
    return {};
}

util::Result<nlohmann::json> open_bundle(const std::string& dir) {
    auto st = MLOPS_TRY(util::stat_path(dir));
    if (!st || !st->is_dir) return util::fail(util::Error::usage(fmt::format("{}: no model bundle here (a folder written by mlops train)", dir)));
    std::string mpath = util::join_path(dir, k_manifest_file);
    auto text = util::read_file(mpath);
    if (!text) return util::fail(util::Error::usage(fmt::format("{}: not a model bundle (no {})", dir, k_manifest_file)));
    nlohmann::json m;
    try {
        m = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& e) {
        return util::fail(util::Error::integrity(fmt::format("{}: damaged manifest: {}", mpath, e.what())));
    }
    if (!m.is_object() || m.value("format", "") != k_bundle_format)
        return util::fail(util::Error::usage(fmt::format("{}: not an mlops model bundle manifest (format '{}')", mpath, k_bundle_format)));
    if (!m.contains("files") || !m["files"].is_object() || !m["files"].contains(k_model_file))
        return util::fail(util::Error::integrity(fmt::format("{}: lists no files", mpath)));
    for (const auto& [name, entry] : m["files"].items()) {
        std::string path = util::join_path(dir, name);
        auto oid = util::sha256_file(path);
        if (!oid) return util::fail(util::Error::integrity(fmt::format("{}: missing from the bundle (the manifest lists it)", path)));
        std::string want = entry.value("sha256", "");
        if (*oid != want)
            return util::fail(util::Error::integrity(fmt::format(
                "{}: does not match the manifest (sha256 {}, manifest says {})", path, oid->substr(0, 12), want.substr(0, 12))));
    }
    return m;
}

} // namespace mlops::ml
