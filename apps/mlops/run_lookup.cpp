#include "run_lookup.hpp"

#include <mlops/index/index.hpp>

namespace mlops::cli {

pipeline::RunRecord load_run_record(Context& ctx, const std::string& prefix) {
    auto& repo = ctx.repo();
    auto* index = util::value_or_throw(repo.index());
    auto rows = util::value_or_throw(index->runs_with_prefix(prefix));
    if (prefix.empty() || rows.empty())
        throw util::CommandError(
            util::Error::usage(fmt::format("no run matches '{}' (see `mlops runs list`)", prefix)));
    if (rows.size() > 1) {
        std::string ids;
        for (const auto& r : rows)
            ids += " " + r.run_id + " (" + r.stage + ")";
        throw util::CommandError(util::Error::usage(
            fmt::format("run id prefix '{}' matches {} runs:{}", prefix, rows.size(), ids)));
    }
    auto text = util::value_or_throw(repo.objects().read(rows.front().oid));
    return util::value_or_throw(pipeline::parse_run_record(text, rows.front().oid));
}

} // namespace mlops::cli
