#include <mlops/signing/signing.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include <mlops/util/ed25519.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>

namespace mlops::signing {

namespace fs = std::filesystem;
using util::Error;
using util::fail;

util::Result<store::Tree> digest_folder(const std::string& dir) {
    store::Tree t;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, ec), end;
    if (ec) return fail(Error::usage(fmt::format("{}: {}", dir, ec.message())));
    for (; it != end; it.increment(ec)) {
        if (ec) return fail(Error::io(fmt::format("{}: {}", dir, ec.message())));
        const auto& e = *it;
        if (e.is_directory()) continue;
        std::string rel = fs::relative(e.path(), dir).generic_string();
        if (e.is_symlink() || !e.is_regular_file())
            return fail(Error::usage(fmt::format("{}/{}: not a regular file (a model folder holds files only)", dir, rel)));
        store::TreeEntry te;
        te.path = rel;
        te.size = e.file_size();
        te.oid = MLOPS_TRY(util::sha256_file(e.path().string()));
        auto perms = e.status().permissions();
        te.mode = (perms & fs::perms::owner_exec) != fs::perms::none ? store::EntryMode::executable : store::EntryMode::file;
        t.entries.push_back(std::move(te));
    }
    t.sort();
    return t;
}

std::string tree_oid(const store::Tree& t) { return util::sha256_hex(t.serialize()); }

std::string signed_payload(const store::Tree& files) {
    std::string out = "mlops-signed-manifest 1\n";
    for (const auto& e : files.entries) out += fmt::format("{} {} {}\n", e.oid, e.size, e.path);
    return out;
}

std::string serialize(const Signature& s) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& e : s.files.entries) files.push_back({{"path", e.path}, {"size", e.size}, {"sha256", e.oid}});
    nlohmann::json j{{"type", k_signature_type},
                     {"format", 1},
                     {"algorithm", "ed25519"},
                     {"model", {{"name", s.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.name)},
                                {"version", s.version > 0 ? nlohmann::json(s.version) : nlohmann::json(nullptr)},
                                {"entry", s.entry.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.entry)},
                                {"oid", s.model_oid}}},
                     {"manifest", files},
                     {"key_id", s.key_id},
                     {"public_key", s.public_pem},
                     {"signature", s.signature},
                     {"user", s.user},
                     {"host", s.host},
                     {"time_ns", s.time_ns}};
    return j.dump(2) + "\n";
}

util::Result<Signature> parse(const std::string& text, const std::string& what) {
    try {
        auto j = nlohmann::json::parse(text);
        if (j.value("type", "") != k_signature_type)
            return fail(Error::usage(fmt::format("{}: not a model signature ({})", what, k_signature_type)));
        if (j.value("algorithm", "") != "ed25519")
            return fail(Error::usage(fmt::format("{}: unsupported algorithm '{}'", what, j.value("algorithm", ""))));
        Signature s;
        const auto& m = j.at("model");
        if (m.at("name").is_string()) s.name = m.at("name").get<std::string>();
        if (m.at("version").is_number_integer()) s.version = m.at("version").get<int>();
        if (m.at("entry").is_string()) s.entry = m.at("entry").get<std::string>();
        s.model_oid = m.at("oid").get<std::string>();
        for (const auto& f : j.at("manifest")) {
            store::TreeEntry e;
            e.path = f.at("path").get<std::string>();
            e.size = f.at("size").get<std::uint64_t>();
            e.oid = f.at("sha256").get<std::string>();
            if (!store::is_safe_relative_path(e.path) || !util::is_oid(e.oid))
                return fail(Error::integrity(fmt::format("{}: bad manifest entry '{}'", what, e.path)));
            s.files.entries.push_back(std::move(e));
        }
        s.files.sort();
        s.key_id = j.at("key_id").get<std::string>();
        s.public_pem = j.at("public_key").get<std::string>();
        s.signature = j.at("signature").get<std::string>();
        s.user = j.value("user", "");
        s.host = j.value("host", "");
        s.time_ns = j.value("time_ns", std::int64_t(0));
        return s;
    } catch (const nlohmann::json::exception& e) {
        return fail(Error::integrity(fmt::format("{}: damaged signature: {}", what, e.what())));
    }
}

util::Result<Signature> sign_folder(const std::string& dir, const std::string& private_pem, const std::string& key_what) {
    Signature s;
    s.files = MLOPS_TRY(digest_folder(dir));
    if (s.files.entries.empty()) return fail(Error::usage(fmt::format("{}: no files to sign", dir)));
    s.model_oid = tree_oid(s.files);
    s.public_pem = MLOPS_TRY(util::ed25519_public_from_private(private_pem, key_what));
    s.key_id = MLOPS_TRY(util::ed25519_key_id(s.public_pem, key_what));
    s.signature = MLOPS_TRY(util::ed25519_sign(private_pem, signed_payload(s.files), key_what));
    s.user = util::user_name();
    s.host = util::host_name();
    s.time_ns = util::now_ns();
    return s;
}

util::Status verify_folder(const Signature& sig, const std::string& dir, const std::string& public_pem,
                           const std::string& key_what) {
    // The key given, not the one the signature carries: anyone can write a signature with their own key.
    auto key_id = MLOPS_TRY(util::ed25519_key_id(public_pem, key_what));
    if (key_id != sig.key_id)
        return fail(Error::integrity(fmt::format("the signature was made with key {}, not {} ({})", sig.key_id.substr(0, 12),
                                                 key_id.substr(0, 12), key_what)));
    if (!MLOPS_TRY(util::ed25519_verify(public_pem, signed_payload(sig.files), sig.signature, key_what)))
        return fail(Error::integrity(fmt::format("the signature does not verify with {} (the signed manifest was altered)", key_what)));
    auto have = MLOPS_TRY(digest_folder(dir));
    std::map<std::string, const store::TreeEntry*> signed_files;
    for (const auto& e : sig.files.entries) signed_files[e.path] = &e;
    for (const auto& e : have.entries) {
        auto it = signed_files.find(e.path);
        if (it == signed_files.end())
            return fail(Error::integrity(fmt::format("{}/{}: not in the signed manifest (added after signing)", dir, e.path)));
        if (it->second->oid != e.oid || it->second->size != e.size)
            return fail(Error::integrity(fmt::format("{}/{}: does not match the signed manifest (sha256 {}, signed {})", dir, e.path,
                                                     e.oid.substr(0, 12), it->second->oid.substr(0, 12))));
        signed_files.erase(it);
    }
    if (!signed_files.empty())
        return fail(Error::integrity(fmt::format("{}/{}: missing (the signed manifest lists it)", dir, signed_files.begin()->first)));
    return {};
}

} // namespace mlops::signing
