// The forms of a row diff: JSON (docs/json.md), Markdown for CI bots, and the terminal's table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <mlops/tablediff/tablediff.hpp>

namespace mlops::tablediff {

struct RenderOptions {
    std::string path;           // the file as the user named it
    std::string old_name, new_name; // "HEAD", "work tree", a revision
    std::size_t limit = 0;      // rows shown per kind (0 = all the result holds)
};

nlohmann::json to_json(const TableDiff& d, const RenderOptions& o);
std::string to_markdown(const TableDiff& d, const RenderOptions& o);
std::string to_text(const TableDiff& d, const RenderOptions& o);

} // namespace mlops::tablediff
