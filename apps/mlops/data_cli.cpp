#include "data_cli.hpp"

#include <filesystem>

#include "ml_cli.hpp"

namespace mlops::cli {

drift::Input data_input(Context& ctx, const std::string& text) {
    auto path = user_path(ctx, text);
    std::error_code ec;
    bool exists = std::filesystem::is_regular_file(path, ec);
    auto spec = drift::parse_input(text, exists);
    switch (spec.kind) {
    case drift::InputSpec::Kind::file:
        if (!exists && !std::filesystem::exists(path, ec))
            throw util::CommandError(util::Error::usage(
                fmt::format("{}: no such file (give a CSV file, a tracked PATH@REVISION or an object id)", text)));
        return {text, path};
    case drift::InputSpec::Kind::revision: {
        auto rel = ctx.repo_paths({spec.path}).front();
        return util::value_or_throw(drift::tracked_at(ctx.repo(), rel, spec.rev, text));
    }
    case drift::InputSpec::Kind::object: return util::value_or_throw(drift::object_input(ctx.repo(), spec.oid, text));
    }
    return {text, path};
}

} // namespace mlops::cli
