#include <mlops/pipeline/compare.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>

#include <mlops/pipeline/lock.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::pipeline {

using util::Error;
using util::fail;

namespace {

void flatten(const nlohmann::json& v, const std::string& prefix,
             std::map<std::string, nlohmann::json>& out) {
    if (v.is_object() && !v.empty()) {
        for (const auto& [k, x] : v.items())
            flatten(x, prefix.empty() ? k : prefix + "." + k, out);
    } else if (!prefix.empty()) {
        out[prefix] = v;
    }
}

// Floating-point subtraction leaves noise (0.9 - 0.8 = 0.09999999999999998); 15 significant
// digits is below what a double holds exactly, so this only drops the noise.
double denoise(double d) {
    if (!std::isfinite(d)) return d;
    return std::strtod(fmt::format("{:.15g}", d).c_str(), nullptr);
}

Error at_source(Error e, const Source& src) {
    if (!src.work_tree()) e.message += fmt::format(" (in revision {})", src.label);
    return e;
}

} // namespace

namespace {

// A `.json` file is parsed as JSON: the YAML parser would accept `{"a": ,}` (a is null).
Result<nlohmann::json> parse_json_metrics(const std::string& text, const std::string& display) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json(nullptr);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is the 1-based offset of the character that broke the parse.
        std::size_t at = e.byte == 0 ? 0 : std::min<std::size_t>(e.byte - 1, text.size());
        std::size_t line = 1 + std::count(text.begin(), text.begin() + long(at), '\n');
        auto nl = text.rfind('\n', at == 0 ? 0 : at - 1);
        std::size_t column = nl == std::string::npos || at == 0 ? at + 1 : at - nl;
        std::string why = e.what();
        if (auto p = why.find("column "); p != std::string::npos)
            if (auto q = why.find(": ", p); q != std::string::npos) why = why.substr(q + 2);
        return fail(
            Error::usage(fmt::format("{}:{}:{}: invalid JSON: {}", display, line, column, why)));
    }
}

} // namespace

Result<nlohmann::json> parse_metrics(const std::string& text, const std::string& display) {
    bool json = display.ends_with(".json");
    auto doc = json ? parse_json_metrics(text, display) : yaml_to_json(text, display);
    if (!doc) {
        auto e = doc.error();
        if (!json) e.message += " (a metrics file must be JSON or YAML)";
        return fail(std::move(e));
    }
    if (doc->is_null()) return nlohmann::json::object(); // an empty file: no metrics yet
    if (!doc->is_object())
        return fail(Error::usage(
            fmt::format("{}:1:1: a metrics file must be a JSON object or a YAML mapping, not a {}",
                        display, doc->is_array() ? "list" : "single value")));
    nlohmann::json flat = nlohmann::json::object();
    std::function<void(const nlohmann::json&, const std::string&)> walk =
        [&](const nlohmann::json& v, const std::string& prefix) {
            if (v.is_object()) {
                for (const auto& [k, x] : v.items())
                    walk(x, prefix.empty() ? k : prefix + "." + k);
            } else if (!v.is_array() && !prefix.empty()) {
                flat[prefix] = v;
            }
        };
    walk(*doc, "");
    return flat;
}

// --- Sources -----------------------------------------------------------------------------------

std::string Source::display(const std::string& path) const {
    return work_tree() ? path : label + ":" + path;
}

Source work_tree_source() {
    return Source{"workspace", "", false};
}

Result<Source> revision_source(workspace::Repository& repo, const std::string& rev) {
    if (!repo.has_git())
        return fail(Error::usage(fmt::format(
            "cannot read revision '{}': this repository has no git (it was made with --no-git)",
            rev)));
    auto* git = MLOPS_TRY(repo.git());
    return Source{rev, MLOPS_TRY(git->resolve_commit(rev)), false};
}

Result<Source> head_source(workspace::Repository& repo) {
    if (!repo.has_git())
        return fail(Error::usage("comparing with HEAD needs git (this repository was made with "
                                 "--no-git): name no revision to "
                                 "show the work tree, or compare two runs with --runs"));
    auto* git = MLOPS_TRY(repo.git());
    auto head = MLOPS_TRY(git->head_commit());
    if (!head) return Source{"HEAD", "", true};
    return Source{"HEAD", *head, false};
}

FileReader reader_for(workspace::Repository& repo, const Source& src) {
    if (src.empty)
        return [](const std::string&) -> Result<std::optional<std::string>> {
            return std::optional<std::string>{};
        };
    if (src.work_tree())
        return [&repo](const std::string& rel) -> Result<std::optional<std::string>> {
            auto p = repo.abs(rel);
            if (!MLOPS_TRY(util::stat_path(p))) return std::optional<std::string>{};
            return std::optional<std::string>{MLOPS_TRY(util::read_file(p))};
        };
    return
        [&repo, commit = src.commit](const std::string& rel) -> Result<std::optional<std::string>> {
            auto* git = MLOPS_TRY(repo.git());
            return git->read_file_at(commit, rel);
        };
}

Result<std::optional<Pipeline>> pipeline_at(workspace::Repository& repo, const Source& src,
                                            const std::string& file) {
    auto read = reader_for(repo, src);
    auto text = MLOPS_TRY(read(file));
    if (!text) return std::optional<Pipeline>{};
    auto p = parse_pipeline(*text, file, read);
    if (!p) return fail(at_source(p.error(), src));
    return std::optional<Pipeline>{std::move(*p)};
}

Result<Sides> sides_for(workspace::Repository& repo, const std::vector<std::string>& revs) {
    if (revs.size() > 2)
        return fail(Error::usage(fmt::format("at most two revisions, got {}", revs.size())));
    if (revs.empty()) return Sides{MLOPS_TRY(head_source(repo)), work_tree_source()};
    if (revs.size() == 1)
        return Sides{MLOPS_TRY(revision_source(repo, revs[0])), work_tree_source()};
    return Sides{MLOPS_TRY(revision_source(repo, revs[0])),
                 MLOPS_TRY(revision_source(repo, revs[1]))};
}

Result<SidePipelines> pipelines_for(workspace::Repository& repo, const Sides& sides,
                                    const std::string& file) {
    SidePipelines out{MLOPS_TRY(pipeline_at(repo, sides.old_side, file)),
                      MLOPS_TRY(pipeline_at(repo, sides.new_side, file))};
    if (!out.old_side && !out.new_side)
        return fail(Error::usage(fmt::format(
            "{}: no pipeline file in {} nor in {} (declare stages in {}, see docs/pipelines.md)",
            file, sides.new_side.work_tree() ? "the work tree" : "revision " + sides.new_side.label,
            "revision " + sides.old_side.label, file)));
    return out;
}

nlohmann::json source_json(const Source& src) {
    return {{"rev", src.label},
            {"commit", src.commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(src.commit)}};
}

Result<Values> params_values(workspace::Repository& repo, const Pipeline& p, const Source& src) {
    auto read = reader_for(repo, src);
    std::map<std::string, std::optional<std::string>> texts;
    Values out;
    for (const auto& s : p.stages) {
        for (const auto& ref : s.params) {
            auto it = texts.find(ref.file);
            if (it == texts.end()) it = texts.emplace(ref.file, MLOPS_TRY(read(ref.file))).first;
            if (!it->second)
                continue; // parse_pipeline already insists on the file; stay lenient here
            auto v = lookup_param(*it->second, ref.file, ref.key);
            if (!v) return fail(at_source(v.error(), src));
            if (!*v) continue;
            flatten(**v, ref.key, out[ref.file]);
        }
    }
    return out;
}

std::vector<std::string> metrics_files(const Pipeline& p) {
    std::vector<std::string> files;
    for (const auto& s : p.stages)
        for (const auto& o : s.outs)
            if (o.metric && std::find(files.begin(), files.end(), o.path) == files.end())
                files.push_back(o.path);
    return files;
}

Result<Values> metrics_values(workspace::Repository& repo, const Pipeline& p, const Source& src) {
    Values out;
    auto read = reader_for(repo, src);
    std::optional<LockData> lock; // read on first need
    for (const auto& path : metrics_files(p)) {
        auto text = MLOPS_TRY(read(path));
        if (!text && !src.work_tree() && !src.empty) {
            // Not in git: a metrics output with `cache: true` is in the object store, and the lock
            // file of that commit says which object.
            if (!lock) {
                auto lock_file = lock_path_for(p.file);
                auto lock_text = MLOPS_TRY(read(lock_file));
                lock = lock_text ? MLOPS_TRY(parse_lock(*lock_text, src.display(lock_file)))
                                 : LockData{};
            }
            for (const auto& [name, st] : lock->stages)
                if (auto* o = st.out(path);
                    o && o->kind == "file" && !o->oid.empty() && repo.objects().exists(o->oid)) {
                    text = MLOPS_TRY(repo.objects().read(o->oid));
                    break;
                }
        }
        if (!text) continue;
        auto flat = MLOPS_TRY(parse_metrics(*text, src.display(path)));
        auto& dest = out[path];
        for (const auto& [k, v] : flat.items())
            dest[k] = v;
    }
    return out;
}

Values values_from_json(const nlohmann::json& by_file) {
    Values out;
    if (!by_file.is_object()) return out;
    for (const auto& [file, keys] : by_file.items()) {
        auto& dest = out[file];
        if (keys.is_object())
            for (const auto& [k, v] : keys.items())
                dest[k] = v;
    }
    return out;
}

// --- Comparing ---------------------------------------------------------------------------------

namespace {
// Integers stay integers (a delta of 2 epochs is "2", not "2.0"); JSON parsing makes positive
// integers unsigned, YAML makes them signed: both count.
std::optional<std::int64_t> as_int(const nlohmann::json& j) {
    if (j.is_number_unsigned()) {
        auto u = j.get<std::uint64_t>();
        if (u > std::uint64_t(INT64_MAX / 2)) return std::nullopt;
        return std::int64_t(u);
    }
    if (j.is_number_integer()) {
        auto i = j.get<std::int64_t>();
        if (i > INT64_MAX / 2 || i < INT64_MIN / 2)
            return std::nullopt; // no overflow in the difference
        return i;
    }
    return std::nullopt;
}
} // namespace

const char* change_kind_name(ChangeKind k) {
    switch (k) {
    case ChangeKind::unchanged:
        return "unchanged";
    case ChangeKind::modified:
        return "modified";
    case ChangeKind::added:
        return "added";
    case ChangeKind::removed:
        return "removed";
    }
    return "?";
}

std::vector<Change> compare_values(const Values& old_side, const Values& new_side,
                                   Unchanged unchanged) {
    std::set<std::pair<std::string, std::string>> keys;
    for (const auto* side : {&old_side, &new_side})
        for (const auto& [file, kv] : *side)
            for (const auto& [k, v] : kv)
                keys.emplace(file, k);
    auto find = [](const Values& side, const std::string& file,
                   const std::string& key) -> std::optional<nlohmann::json> {
        auto f = side.find(file);
        if (f == side.end()) return std::nullopt;
        auto k = f->second.find(key);
        if (k == f->second.end()) return std::nullopt;
        return k->second;
    };
    std::vector<Change> out;
    for (const auto& [file, key] : keys) {
        Change c;
        c.file = file;
        c.key = key;
        c.old_value = find(old_side, file, key);
        c.new_value = find(new_side, file, key);
        if (!c.old_value)
            c.kind = ChangeKind::added;
        else if (!c.new_value)
            c.kind = ChangeKind::removed;
        else
            c.kind = *c.old_value == *c.new_value ? ChangeKind::unchanged : ChangeKind::modified;
        if (c.kind == ChangeKind::unchanged && unchanged == Unchanged::hide) continue;
        if (c.old_value && c.new_value && c.old_value->is_number() && c.new_value->is_number()) {
            const auto &a = *c.old_value, &b = *c.new_value;
            auto ai = as_int(a), bi = as_int(b);
            if (ai && bi) {
                c.delta = nlohmann::json(*bi - *ai);
            } else {
                c.delta = nlohmann::json(denoise(b.get<double>() - a.get<double>()));
            }
            double old_d = a.get<double>();
            if (old_d != 0) c.relative = denoise((b.get<double>() - old_d) / std::fabs(old_d));
        }
        out.push_back(std::move(c));
    }
    return out;
}

bool any_difference(const std::vector<Change>& changes) {
    return std::any_of(changes.begin(), changes.end(),
                       [](const Change& c) { return c.kind != ChangeKind::unchanged; });
}

// --- Presenting --------------------------------------------------------------------------------

Result<TableFormat> parse_table_format(const std::string& name) {
    if (name == "table") return TableFormat::aligned;
    if (name == "md" || name == "markdown") return TableFormat::markdown;
    return fail(Error::usage(fmt::format("unknown format '{}' (use table or md)", name)));
}

namespace {

// Display width: code points, so that UTF-8 keys and values line up.
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char ch : s)
        if ((ch & 0xC0) != 0x80) ++n;
    return n;
}

std::string md_cell(const std::string& s) {
    std::string out;
    for (char ch : s) {
        if (ch == '|')
            out += "\\|";
        else if (ch == '\n' || ch == '\r')
            out += ' ';
        else
            out += ch;
    }
    return out;
}

} // namespace

std::string render_table(const Table& t, TableFormat format) {
    auto align = [&](std::size_t i) { return i < t.align.size() ? t.align[i] : Align::left; };
    std::string out;
    if (format == TableFormat::markdown) {
        auto line = [&](const std::vector<std::string>& cells) {
            out += "|";
            for (std::size_t i = 0; i < t.columns.size(); ++i)
                out += " " + md_cell(i < cells.size() ? cells[i] : "") + " |";
            out += "\n";
        };
        line(t.columns);
        out += "|";
        for (std::size_t i = 0; i < t.columns.size(); ++i)
            out += align(i) == Align::right ? "---:|" : "---|";
        out += "\n";
        for (const auto& r : t.rows)
            line(r);
        return out;
    }
    std::vector<std::size_t> widths(t.columns.size(), 0);
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        widths[i] = width(t.columns[i]);
        for (const auto& r : t.rows)
            if (i < r.size()) widths[i] = std::max(widths[i], width(r[i]));
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const std::string cell = i < cells.size() ? cells[i] : "";
            std::string pad(widths[i] - width(cell), ' ');
            if (i > 0) l += "  ";
            l += align(i) == Align::right ? pad + cell : cell + pad;
        }
        while (!l.empty() && l.back() == ' ')
            l.pop_back();
        out += l + "\n";
    };
    line(t.columns);
    for (const auto& r : t.rows)
        line(r);
    return out;
}

std::string format_value(const std::optional<nlohmann::json>& v) {
    if (!v) return "-";
    if (v->is_string()) return v->get<std::string>();
    return v->dump();
}

std::string format_delta(const std::optional<nlohmann::json>& delta) {
    if (!delta) return "";
    double d = delta->get<double>();
    if (d == 0) return "0"; // not "0.0" for floats: no change reads the same for every type
    auto s = delta->dump();
    return d > 0 ? "+" + s : s;
}

std::string format_relative(const std::optional<double>& relative) {
    if (!relative) return "";
    return fmt::format("{:+.2f}%", *relative * 100);
}

Table changes_table(const std::vector<Change>& changes, const std::string& key_column,
                    Relative relative) {
    Table t;
    t.columns = {"File", key_column, "Old", "New", "Change"};
    t.align = {Align::left, Align::left, Align::right, Align::right, Align::right};
    if (relative == Relative::yes) {
        t.columns.push_back("Change %");
        t.align.push_back(Align::right);
    }
    for (const auto& c : changes) {
        std::vector<std::string> row = {c.file, c.key, format_value(c.old_value),
                                        format_value(c.new_value), format_delta(c.delta)};
        if (relative == Relative::yes) row.push_back(format_relative(c.relative));
        t.rows.push_back(std::move(row));
    }
    return t;
}

nlohmann::json change_json(const Change& c, Relative relative) {
    auto or_null = [](const std::optional<nlohmann::json>& v) {
        return v ? *v : nlohmann::json(nullptr);
    };
    nlohmann::json j = {{"file", c.file},
                        {"key", c.key},
                        {"status", change_kind_name(c.kind)},
                        {"old", or_null(c.old_value)},
                        {"new", or_null(c.new_value)},
                        {"delta", or_null(c.delta)}};
    if (relative == Relative::yes)
        j["relative"] = c.relative ? nlohmann::json(*c.relative) : nlohmann::json(nullptr);
    return j;
}

} // namespace mlops::pipeline
