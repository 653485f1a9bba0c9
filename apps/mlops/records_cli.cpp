#include "records_cli.hpp"

#include <set>

#include <mlops/pipeline/record.hpp>
#include <mlops/registry/registry.hpp>
#include <mlops/remote/refs.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

namespace mlops::cli {

namespace {
constexpr const char* k_runs = "runs";
constexpr const char* k_registry = "registry";
} // namespace

void add_transfer_stats(remote::TransferStats& into, const remote::TransferStats& from) {
    for (auto [a, b] : {std::pair{&into.transferred, &from.transferred}, {&into.skipped, &from.skipped}, {&into.failed, &from.failed}}) {
        a->objects += b->objects;
        a->bytes += b->bytes;
    }
    into.failures.insert(into.failures.end(), from.failures.begin(), from.failures.end());
    if (from.error && !into.error) into.error = from.error;
}

RecordSet record_set(Context& ctx) {
    auto& repo = ctx.repo();
    RecordSet out;
    auto* index = util::value_or_throw(repo.index());
    for (const auto& row : util::value_or_throw(index->runs("", 0))) {
        out.runs.push_back(row.oid);
        out.roots.push_back({row.oid, false, "run " + row.run_id, ""});
        auto text = repo.objects().read(row.oid);
        if (!text) continue; // the push reports the record itself as missing or corrupt
        auto rec = pipeline::parse_run_record(*text, row.oid);
        if (rec && !rec->log_oid.empty()) out.roots.push_back({rec->log_oid, false, "run " + row.run_id + " log", ""});
    }
    auto all = util::value_or_throw(registry::all_objects(repo));
    for (const auto& oid : all.objects) out.roots.push_back({oid, false, "registry", ""});
    for (const auto& v : all.versions)
        out.roots.push_back({v.model_oid, v.model_kind == "dir", fmt::format("model {}:{}", v.name, v.claimed), ""});
    out.registry = std::move(all.objects);
    return out;
}

RefsPushed push_record_refs(Context& ctx, remote::OpenedRemote& r, const RecordSet& records) {
    auto& repo = ctx.repo();
    RefsPushed out;
    out.runs = remote::value_or_throw(remote::publish_refs(repo, r, k_runs, records.runs));
    out.registry = remote::value_or_throw(remote::publish_refs(repo, r, k_registry, records.registry));
    return out;
}

RecordsFetched fetch_records(Context& ctx, remote::OpenedRemote& r) {
    auto& repo = ctx.repo();
    RecordsFetched out;
    auto fetch_listed = [&](const char* kind) {
        std::vector<remote::Root> roots;
        for (const auto& oid : remote::value_or_throw(remote::list_refs(r, kind)))
            if (!repo.objects().exists(oid)) roots.push_back({oid, false, std::string(kind), ""});
        std::sort(roots.begin(), roots.end(), [](const auto& a, const auto& b) { return a.oid < b.oid; });
        if (!roots.empty()) add_transfer_stats(out.stats, remote::value_or_throw(remote::fetch(repo, r, roots, {ctx.progress()})));
        return roots;
    };
    auto new_runs = fetch_listed(k_runs);
    std::vector<remote::Root> logs;
    for (const auto& root : new_runs) {
        auto text = repo.objects().read(root.oid);
        if (!text) continue; // counted as failed by the fetch
        if (util::value_or_throw(pipeline::index_run_object(repo, root.oid, *text))) {
            ++out.runs;
            auto rec = pipeline::parse_run_record(*text, root.oid);
            if (rec && !rec->log_oid.empty() && !repo.objects().exists(rec->log_oid))
                logs.push_back({rec->log_oid, false, "run " + rec->run_id + " log", ""});
        }
    }
    if (!logs.empty()) add_transfer_stats(out.stats, remote::value_or_throw(remote::fetch(repo, r, logs, {ctx.progress()})));
    std::set<std::string> models;
    for (const auto& root : fetch_listed(k_registry)) {
        auto text = repo.objects().read(root.oid);
        if (!text) continue;
        if (util::value_or_throw(registry::index_object(repo, root.oid, *text))) {
            ++out.registry;
            auto name = nlohmann::json::parse(*text, nullptr, false);
            if (name.is_object() && name.contains("name") && name["name"].is_string()) models.insert(name["name"].get<std::string>());
        }
    }
    for (const auto& m : models) {
        auto state = registry::load_model(repo, m);
        if (!state) continue; // only alias events arrived so far; the versions come with a later push
        for (const auto& c : state->conflicts) out.conflicts.push_back(fmt::format("model {}: {}", m, c));
    }
    return out;
}

bool names_model(Context& ctx, const std::string& arg) {
    return registry::looks_like_model_ref(arg) && !util::value_or_throw(util::stat_path(ctx.user_path(arg))).has_value();
}

std::vector<remote::Root> model_roots(Context& ctx, std::vector<std::string>& args) {
    std::vector<remote::Root> roots;
    std::vector<std::string> paths;
    for (const auto& a : args) {
        if (!names_model(ctx, a)) {
            paths.push_back(a);
            continue;
        }
        auto ref = util::value_or_throw(registry::parse_model_ref(a));
        auto state = util::value_or_throw(registry::load_model(ctx.repo(), ref.name));
        const auto* v = util::value_or_throw(registry::resolve(state, ref));
        roots.push_back({v->model_oid, v->model_kind == "dir", fmt::format("model {}:{}", v->name, v->version), ""});
    }
    args = std::move(paths);
    return roots;
}

nlohmann::json records_json(std::size_t runs, std::size_t registry) {
    return {{"runs", runs}, {"registry", registry}};
}

void say_records(Context& ctx, const char* verb, std::size_t runs, std::size_t registry, const std::vector<std::string>& conflicts) {
    if (runs || registry)
        ctx.say(fmt::format("{} {} run record{} and {} registry object{}.", verb, runs, runs == 1 ? "" : "s", registry,
                            registry == 1 ? "" : "s"));
    for (const auto& c : conflicts) ctx.warn(c);
}

} // namespace mlops::cli
