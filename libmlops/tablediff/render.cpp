#include <mlops/tablediff/render.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace mlops::tablediff {

namespace {

nlohmann::json row_object(const std::vector<std::string>& columns, const RowRef& r) {
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t i = 0; i < columns.size() && i < r.values.size(); ++i) values[columns[i]] = r.values[i];
    return {{"line", r.line}, {"values", values}};
}

std::size_t shown(std::size_t have, std::size_t limit) { return limit ? std::min(have, limit) : have; }

// A cell for a Markdown table: pipes escaped, newlines as <br>.
std::string md_cell(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += "<br>";
        else if (c == '\r') continue;
        else out += c;
    }
    return out;
}

// A value for the terminal: control characters escaped, long values cut.
std::string tty_cell(std::string_view s, std::size_t max = 24) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    if (out.size() > max) out = out.substr(0, max - 3) + "...";
    return out;
}

std::string key_of(const TableDiff& d, const ChangedRow& r, bool md) {
    std::string s;
    for (std::size_t i = 0; i < r.key.size() && i < d.keys.size(); ++i) {
        if (i) s += ", ";
        s += fmt::format("{}={}", d.keys[i], md ? md_cell(r.key[i]) : tty_cell(r.key[i]));
    }
    return s;
}

// Aligned columns, two spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
    std::vector<std::size_t> w;
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i) {
            if (w.size() <= i) w.push_back(0);
            w[i] = std::max(w[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line = indent;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string more_line(std::uint64_t total, std::size_t shown_count, const std::string& indent) {
    if (total <= shown_count) return "";
    return fmt::format("{}… and {} more\n", indent, total - shown_count);
}

} // namespace

nlohmann::json to_json(const TableDiff& d, const RenderOptions& o) {
    nlohmann::json j;
    j["path"] = o.path;
    j["old"] = {{"version", o.old_name}, {"exists", !d.old_absent}, {"rows", d.old_rows}, {"columns", d.old_columns}};
    j["new"] = {{"version", o.new_name}, {"exists", !d.new_absent}, {"rows", d.new_rows}, {"columns", d.new_columns}};
    j["key"] = d.keys;
    j["columns"] = {{"added", d.added_columns}, {"removed", d.removed_columns}, {"reordered", d.columns_reordered}};
    j["summary"] = {{"added", d.added}, {"removed", d.removed}, {"changed", d.changed}, {"unchanged", d.unchanged}};
    j["added"] = nlohmann::json::array();
    for (std::size_t i = 0; i < shown(d.added_rows.size(), o.limit); ++i) j["added"].push_back(row_object(d.new_columns, d.added_rows[i]));
    j["removed"] = nlohmann::json::array();
    for (std::size_t i = 0; i < shown(d.removed_rows.size(), o.limit); ++i)
        j["removed"].push_back(row_object(d.old_columns, d.removed_rows[i]));
    j["changed"] = nlohmann::json::array();
    for (std::size_t i = 0; i < shown(d.changed_rows.size(), o.limit); ++i) {
        const auto& c = d.changed_rows[i];
        nlohmann::json key = nlohmann::json::object();
        for (std::size_t k = 0; k < c.key.size() && k < d.keys.size(); ++k) key[d.keys[k]] = c.key[k];
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& cell : c.cells) cells.push_back({{"column", cell.column}, {"old", cell.old_value}, {"new", cell.new_value}});
        j["changed"].push_back({{"key", key}, {"old_line", c.old_line}, {"new_line", c.new_line}, {"cells", cells}});
    }
    j["truncated"] = j["added"].size() < d.added || j["removed"].size() < d.removed || j["changed"].size() < d.changed;
    return j;
}

std::string to_markdown(const TableDiff& d, const RenderOptions& o) {
    std::string out = fmt::format("### Row diff: `{}` ({} → {})\n\n", o.path, o.old_name, o.new_name);
    if (d.old_absent) out += fmt::format("New file in {}: every row is added.\n\n", o.new_name);
    if (d.new_absent) out += fmt::format("Deleted in {}: every row is removed.\n\n", o.new_name);
    out += d.keys.empty() ? "Rows matched by their whole content.\n\n"
                          : fmt::format("Rows matched by key `{}`.\n\n", fmt::join(d.keys, "`, `"));
    out += "| rows | added | removed | changed | unchanged |\n|---|---:|---:|---:|---:|\n";
    out += fmt::format("| {} → {} | {} | {} | {} | {} |\n\n", d.old_rows, d.new_rows, d.added, d.removed, d.changed, d.unchanged);
    if (!d.added_columns.empty()) {
        std::vector<std::string> c;
        for (const auto& n : d.added_columns) c.push_back("`" + md_cell(n) + "`");
        out += fmt::format("Columns added: {}\n\n", fmt::join(c, ", "));
    }
    if (!d.removed_columns.empty()) {
        std::vector<std::string> c;
        for (const auto& n : d.removed_columns) c.push_back("`" + md_cell(n) + "`");
        out += fmt::format("Columns removed: {}\n\n", fmt::join(c, ", "));
    }
    auto rows_table = [&](const char* title, const std::vector<std::string>& columns, const std::vector<RowRef>& rows, std::uint64_t total) {
        if (total == 0) return;
        out += fmt::format("<details><summary>{} rows ({})</summary>\n\n| line |", title, total);
        for (const auto& c : columns) out += " " + md_cell(c) + " |";
        out += "\n|---:|";
        for (std::size_t i = 0; i < columns.size(); ++i) out += "---|";
        out += "\n";
        std::size_t n = shown(rows.size(), o.limit);
        for (std::size_t i = 0; i < n; ++i) {
            out += fmt::format("| {} |", rows[i].line);
            for (const auto& v : rows[i].values) out += " " + md_cell(v) + " |";
            out += "\n";
        }
        if (total > n) out += fmt::format("\n… and {} more\n", total - n);
        out += "\n</details>\n\n";
    };
    if (d.changed) {
        out += fmt::format("<details><summary>Changed rows ({})</summary>\n\n| key | column | old | new |\n|---|---|---|---|\n", d.changed);
        std::size_t n = shown(d.changed_rows.size(), o.limit);
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& c : d.changed_rows[i].cells)
                out += fmt::format("| {} | {} | {} | {} |\n", key_of(d, d.changed_rows[i], true), md_cell(c.column), md_cell(c.old_value),
                                   md_cell(c.new_value));
        if (d.changed > n) out += fmt::format("\n… and {} more\n", d.changed - n);
        out += "\n</details>\n\n";
    }
    rows_table("Added", d.new_columns, d.added_rows, d.added);
    rows_table("Removed", d.old_columns, d.removed_rows, d.removed);
    if (!d.any_difference()) out += "No differences.\n";
    return out;
}

std::string to_text(const TableDiff& d, const RenderOptions& o) {
    std::string out = fmt::format("{}: {} -> {}, {}\n", o.path, o.old_name, o.new_name,
                                  d.keys.empty() ? std::string("rows matched by content") : fmt::format("key {}", fmt::join(d.keys, ",")));
    if (d.old_absent) out += fmt::format("new file in {}\n", o.new_name);
    if (d.new_absent) out += fmt::format("deleted in {}\n", o.new_name);
    if (!d.added_columns.empty()) out += fmt::format("columns added:   {}\n", fmt::join(d.added_columns, ", "));
    if (!d.removed_columns.empty()) out += fmt::format("columns removed: {}\n", fmt::join(d.removed_columns, ", "));
    out += fmt::format("rows: {} -> {}: {} added, {} removed, {} changed, {} unchanged\n", d.old_rows, d.new_rows, d.added, d.removed,
                       d.changed, d.unchanged);
    if (d.changed) {
        out += fmt::format("\nchanged ({}):\n", d.changed);
        std::vector<std::vector<std::string>> t{{"key", "column", "old", "new"}};
        std::size_t n = shown(d.changed_rows.size(), o.limit);
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& c : d.changed_rows[i].cells)
                t.push_back({key_of(d, d.changed_rows[i], false), tty_cell(c.column), tty_cell(c.old_value), tty_cell(c.new_value)});
        out += table(t, "  ") + more_line(d.changed, n, "  ");
    }
    auto rows = [&](const char* title, char sign, const std::vector<std::string>& columns, const std::vector<RowRef>& list, std::uint64_t total) {
        if (!total) return;
        out += fmt::format("\n{} ({}):\n", title, total);
        std::vector<std::vector<std::string>> t;
        std::vector<std::string> head{" ", "line"};
        for (const auto& c : columns) head.push_back(tty_cell(c));
        t.push_back(head);
        std::size_t n = shown(list.size(), o.limit);
        for (std::size_t i = 0; i < n; ++i) {
            std::vector<std::string> r{std::string(1, sign), std::to_string(list[i].line)};
            for (const auto& v : list[i].values) r.push_back(tty_cell(v));
            t.push_back(r);
        }
        out += table(t, "  ") + more_line(total, n, "  ");
    };
    rows("added", '+', d.new_columns, d.added_rows, d.added);
    rows("removed", '-', d.old_columns, d.removed_rows, d.removed);
    if (!d.any_difference()) out += "No differences.\n";
    return out;
}

} // namespace mlops::tablediff
