// Params and metrics side by side: the values a pipeline uses (params) and makes (metrics), read
// from the work tree or from any git commit, compared key by key with deltas for numbers, and
// printed as an aligned table or a Markdown table. Backs `mlops params diff`, `mlops metrics show`
// and `mlops metrics diff`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <mlops/pipeline/spec.hpp>
#include <mlops/workspace/repository.hpp>

namespace mlops::pipeline {

// file -> dotted key -> scalar value (arrays kept whole).
using Values = std::map<std::string, std::map<std::string, nlohmann::json>>;

// A metrics document (JSON or YAML) flattened to dotted keys (nested mappings become `a.b`, lists
// are left out): for `metrics show`/`diff` and for the metrics values of run records. Errors name
// `display` with the line and column; a document that is not a mapping is an error.
Result<nlohmann::json> parse_metrics(const std::string& text, const std::string& display);

// One side of a comparison: the work tree or a commit.
struct Source {
    std::string label;  // "workspace", or the revision as the user typed it
    std::string commit; // "" for the work tree (and for an empty side, see `empty`)
    bool empty = false; // nothing there: HEAD of a repository without commits
    bool work_tree() const { return commit.empty() && !empty; }
    // How a file of this source is named in messages: "params.yaml" or "HEAD~1:params.yaml".
    std::string display(const std::string& path) const;
};

Source work_tree_source();
// Resolves a git revision; errors name it (usage error, exit code 2).
Result<Source> revision_source(workspace::Repository& repo, const std::string& rev);
// HEAD, or an empty side when the repository has no commit yet.
Result<Source> head_source(workspace::Repository& repo);

// Reads repository-relative files as they are in `src` (nullopt when missing there).
FileReader reader_for(workspace::Repository& repo, const Source& src);

// The pipeline file as it is in `src`; nullopt when it is not there. Errors name the revision.
Result<std::optional<Pipeline>> pipeline_at(workspace::Repository& repo, const Source& src,
                                            const std::string& file);

// The two sides of `params diff` / `metrics diff` from zero, one or two revisions: HEAD and the
// work tree, REV and the work tree, or REV1 and REV2.
struct Sides {
    Source old_side;
    Source new_side;
};
Result<Sides> sides_for(workspace::Repository& repo, const std::vector<std::string>& revs);
// The pipeline file of both sides. A side without one compares as empty; when neither has it the
// error says so.
struct SidePipelines {
    std::optional<Pipeline> old_side;
    std::optional<Pipeline> new_side;
};
Result<SidePipelines> pipelines_for(workspace::Repository& repo, const Sides& sides,
                                    const std::string& file);
// {"rev": "HEAD", "commit": "<40 hex>"}; the work tree is {"rev": "workspace", "commit": null}.
nlohmann::json source_json(const Source& src);

// The values of every params key the stages use, read from their params files in `src`. A key
// that names a mapping contributes its leaves ("train" -> "train.lr", "train.epochs").
Result<Values> params_values(workspace::Repository& repo, const Pipeline& p, const Source& src);

// Every metrics file the pipeline declares, in file order, without duplicates.
std::vector<std::string> metrics_files(const Pipeline& p);

// The metrics files as they are in `src`, flattened. Files missing there are left out. At a
// commit, a metrics file kept in the object store (cache: true) is found through the lock file.
Result<Values> metrics_values(workspace::Repository& repo, const Pipeline& p, const Source& src);

// Run records keep metrics as {file: {key: value}}.
Values values_from_json(const nlohmann::json& by_file);

// --- Comparing ---------------------------------------------------------------------------------

enum class ChangeKind { unchanged, modified, added, removed };
const char* change_kind_name(ChangeKind k);

struct Change {
    std::string file;
    std::string key;
    std::optional<nlohmann::json> old_value; // nullopt: absent on the old side
    std::optional<nlohmann::json> new_value; // nullopt: absent on the new side
    ChangeKind kind = ChangeKind::unchanged;
    // new - old, when both are numbers (an integer for two integers).
    std::optional<nlohmann::json> delta;
    // delta / |old|, when both are numbers and old != 0.
    std::optional<double> relative;
};

enum class Unchanged { hide, show };

// Every key of either side, sorted by file then key.
std::vector<Change> compare_values(const Values& old_side, const Values& new_side,
                                   Unchanged unchanged);
// Whether any change is not `unchanged` (for `--exit-code`).
bool any_difference(const std::vector<Change>& changes);

// --- Presenting --------------------------------------------------------------------------------

enum class TableFormat { aligned, markdown };
Result<TableFormat> parse_table_format(const std::string& name); // "table" or "md"

enum class Align { left, right };
struct Table {
    std::vector<std::string> columns;
    std::vector<Align> align; // one per column; missing = left
    std::vector<std::vector<std::string>> rows;
};
// Aligned: columns padded and separated by two spaces, no trailing blanks. Markdown: a GitHub
// table with `|` in cells escaped, numbers right-aligned.
std::string render_table(const Table& t, TableFormat format);

// A value as a table cell: strings bare, numbers shortest, absent as "-".
std::string format_value(const std::optional<nlohmann::json>& v);
// "+0.1", "-3", "" when absent.
std::string format_delta(const std::optional<nlohmann::json>& delta);
// "+12.5%", "" when absent.
std::string format_relative(const std::optional<double>& relative);

enum class Relative { no, yes };
// File, key ("Param" or "Metric"), Old, New, Change (and "Change %" with Relative::yes).
Table changes_table(const std::vector<Change>& changes, const std::string& key_column,
                    Relative relative);
// {"file", "key", "status", "old", "new", "delta"(, "relative")}; absent values are null.
nlohmann::json change_json(const Change& c, Relative relative);

} // namespace mlops::pipeline
