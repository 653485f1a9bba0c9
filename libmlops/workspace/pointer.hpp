// Pointer files: `PATH.mlops`, committed to git, naming the object a work-tree path should hold.
//
//   # mlops pointer file: commit it with git; the data lives in the mlops store.
//   version: 1
//   kind: dir          # or file
//   oid: <64 hex>      # blob (file) or tree object (dir)
//   size: 1234         # bytes of data
//   files: 17          # 1 for a file
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <mlops/util/error.hpp>

namespace mlops::workspace {

using util::Result;
using util::Status;

enum class Kind { file, dir };
const char* kind_name(Kind k);

struct Pointer {
    int version = 1;
    Kind kind = Kind::file;
    std::string oid;
    std::uint64_t size = 0;
    std::uint64_t files = 1;

    std::string serialize() const;
    // `origin` names the file (or "rev:path") in error messages, with line and column.
    static Result<Pointer> parse(std::string_view text, const std::string& origin);
    bool operator==(const Pointer&) const = default;
};

// "data" -> "data.mlops"; and back (nullopt when not a pointer name).
std::string pointer_path_for(const std::string& data_path);
std::optional<std::string> data_path_for(std::string_view pointer_path);

// Reads `abs_path`; nullopt when it does not exist.
Result<std::optional<Pointer>> read_pointer(const std::string& abs_path, const std::string& display);
// Writes through a lock file and fsyncs (it refers to objects, which must be durable first).
Status write_pointer(const std::string& abs_path, const Pointer& p);

} // namespace mlops::workspace
