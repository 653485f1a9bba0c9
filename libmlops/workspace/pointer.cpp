#include <mlops/workspace/pointer.hpp>

#include <yaml-cpp/yaml.h>

#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/strings.hpp>

namespace mlops::workspace {

using util::Error;
using util::fail;

namespace {
constexpr int k_pointer_version = 1;
constexpr const char* k_fields[] = {"version", "kind", "oid", "size", "files"};
} // namespace

const char* kind_name(Kind k) { return k == Kind::dir ? "dir" : "file"; }

std::string Pointer::serialize() const {
    return fmt::format("# mlops pointer file: commit it with git; the data lives in the mlops store.\n"
                       "version: {}\nkind: {}\noid: {}\nsize: {}\nfiles: {}\n",
                       version, kind_name(kind), oid, size, files);
}

Result<Pointer> Pointer::parse(std::string_view text, const std::string& origin) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return fail(Error::usage(fmt::format("{}:{}:{}: invalid YAML: {}", origin, e.mark.line + 1,
                                             e.mark.column + 1, e.msg)));
    }
    auto at = [&](const YAML::Node& n) {
        return fmt::format("{}:{}:{}", origin, n.Mark().line + 1, n.Mark().column + 1);
    };
    if (!root.IsMap()) return fail(Error::usage(fmt::format("{}:1: a pointer file is a mapping of version, kind, oid, size, files", origin)));
    Pointer p;
    std::vector<std::string> known(std::begin(k_fields), std::end(k_fields));
    bool seen[5] = {};
    try {
        for (const auto& kv : root) {
            std::string key = kv.first.as<std::string>();
            const YAML::Node& v = kv.second;
            auto it = std::find(known.begin(), known.end(), key);
            if (it == known.end()) {
                auto hint = util::closest_match(key, known);
                return fail(Error::usage(fmt::format("{}: unknown key '{}'{}", at(kv.first), key,
                                                     hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint))));
            }
            seen[it - known.begin()] = true;
            if (!v.IsScalar()) return fail(Error::usage(fmt::format("{}: '{}' must be a single value", at(v), key)));
            std::string s = v.Scalar();
            auto number = [&]() -> Result<std::uint64_t> {
                if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
                    return fail(Error::usage(fmt::format("{}: '{}' must be a whole number, not '{}'", at(v), key, s)));
                return std::stoull(s);
            };
            if (key == "version") {
                auto n = MLOPS_TRY(number());
                if (n != std::uint64_t(k_pointer_version))
                    return fail(Error::usage(fmt::format("{}: pointer version {} is not supported (this mlops reads {})", at(v), s, k_pointer_version)));
                p.version = int(n);
            } else if (key == "kind") {
                if (s == "file") p.kind = Kind::file;
                else if (s == "dir") p.kind = Kind::dir;
                else return fail(Error::usage(fmt::format("{}: kind must be file or dir, not '{}'", at(v), s)));
            } else if (key == "oid") {
                if (!util::is_oid(s)) return fail(Error::usage(fmt::format("{}: oid must be 64 lowercase hex digits", at(v))));
                p.oid = s;
            } else if (key == "size") {
                p.size = MLOPS_TRY(number());
            } else if (key == "files") {
                p.files = MLOPS_TRY(number());
            }
        }
    } catch (const YAML::Exception& e) {
        return fail(Error::usage(fmt::format("{}:{}:{}: {}", origin, e.mark.line + 1, e.mark.column + 1, e.msg)));
    }
    for (int i = 0; i < 5; ++i)
        if (!seen[i] && std::string_view(k_fields[i]) != "files")
            return fail(Error::usage(fmt::format("{}: missing key '{}'", origin, k_fields[i])));
    return p;
}

std::string pointer_path_for(const std::string& data_path) { return data_path + ".mlops"; }

std::optional<std::string> data_path_for(std::string_view pointer_path) {
    if (pointer_path.size() <= 6 || !pointer_path.ends_with(".mlops")) return std::nullopt;
    std::string d(pointer_path.substr(0, pointer_path.size() - 6));
    if (d.ends_with("/")) return std::nullopt;
    return d;
}

Result<std::optional<Pointer>> read_pointer(const std::string& abs_path, const std::string& display) {
    auto st = MLOPS_TRY(util::stat_path(abs_path));
    if (!st) return std::optional<Pointer>{};
    auto text = MLOPS_TRY(util::read_file(abs_path));
    return std::optional<Pointer>{MLOPS_TRY(Pointer::parse(text, display))};
}

Status write_pointer(const std::string& abs_path, const Pointer& p) {
    auto lock = MLOPS_TRY(util::LockFile::acquire(abs_path));
    return lock.commit(p.serialize());
}

} // namespace mlops::workspace
