#include <mlops/registry/registry.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include <mlops/index/index.hpp>
#include <mlops/ml/bundle.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/signing/signing.hpp>
#include <mlops/store/tree.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/hash.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/workspace/materialize.hpp>
#include <mlops/workspace/scan.hpp>

namespace mlops::registry {

using util::Error;
using util::fail;
using workspace::Repository;

namespace {

constexpr const char* k_version_type = "mlops-model-version";
constexpr const char* k_event_type = "mlops-alias-event";
constexpr const char* k_explanation_type = "mlops-model-explanation";

std::string short_oid(const std::string& oid) { return oid.substr(0, 12); }

// Serialises registry writers of one clone, so two registrations never claim the same number.
Result<util::FileLock> registry_lock(Repository& repo) {
    return util::FileLock::acquire(repo.mlops_dir() + "/registry.lock", util::LockMode::exclusive, "the model registry");
}

// Stores a registry object and lists it in the index (object first: a crash in between leaves an
// unlisted object, which `fsck --rebuild-index` lists again and gc keeps only if listed).
Result<std::string> store_object(Repository& repo, const std::string& text, const char* kind, const std::string& name,
                                 std::int64_t time_ns) {
    auto put = MLOPS_TRY(repo.objects().put_bytes(text));
    auto* index = MLOPS_TRY(repo.index());
    MLOPS_TRYV(index->insert_registry_objects({{put.oid, kind, name, time_ns}}));
    return put.oid;
}

// {"train": {"accuracy": 1}} -> {"train.accuracy": 1}; numbers only.
void flatten_into(nlohmann::json& out, const nlohmann::json& j, const std::string& prefix, bool overwrite) {
    if (!j.is_object()) return;
    for (const auto& [k, v] : j.items()) {
        std::string key = prefix.empty() ? k : prefix + "." + k;
        if (v.is_object())
            flatten_into(out, v, key, overwrite);
        else if (v.is_number() && (overwrite || !out.contains(key)))
            out[key] = v;
    }
}

// A run record's metrics ({file: {key: value}}) flattened without the file names; when two files
// name the same key, the first file (in sorted order) wins.
nlohmann::json run_metrics(const pipeline::RunRecord& rec) {
    nlohmann::json flat = nlohmann::json::object();
    for (const auto& [file, values] : rec.metrics.items()) flatten_into(flat, values, "", false);
    return flat;
}

} // namespace

// ---- references ----

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || !std::isalnum(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

bool looks_like_model_ref(std::string_view text) {
    if (text.starts_with("models:/")) return true;
    auto at = text.find_first_of("@:");
    return at != std::string_view::npos && at > 0 && valid_name(text.substr(0, at));
}

Result<ModelRef> parse_model_ref(const std::string& text) {
    ModelRef ref;
    ref.text = text;
    std::string_view s = text;
    if (s.starts_with("models:/")) s.remove_prefix(8);
    auto bad = [&](const std::string& why) {
        return fail(Error::usage(fmt::format("model reference '{}': {} (use NAME, NAME@ALIAS or NAME:VERSION)", text, why)));
    };
    // MLflow also writes models:/NAME/3; accept it.
    auto sep = s.find_first_of("@:/");
    ref.name = std::string(s.substr(0, sep));
    if (!valid_name(ref.name)) return bad("not a valid model name");
    if (sep == std::string_view::npos) return ref;
    auto rest = s.substr(sep + 1);
    if (s[sep] == '@') {
        if (!valid_name(rest)) return bad("not a valid alias");
        ref.alias = std::string(rest);
        return ref;
    }
    int v = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc() || ptr != rest.data() + rest.size() || v < 1) return bad("the version must be a number from 1");
    ref.version = v;
    return ref;
}

// ---- state ----

const VersionEntry* ModelState::version(int v) const {
    for (const auto& e : versions)
        if (e.version == v) return &e;
    return nullptr;
}

const VersionEntry* ModelState::entry(const std::string& oid) const {
    for (const auto& e : versions)
        if (e.oid == oid) return &e;
    return nullptr;
}

const VersionEntry* ModelState::holder(const std::string& alias) const {
    auto it = aliases.find(alias);
    return it == aliases.end() ? nullptr : entry(it->second);
}

std::vector<std::string> ModelState::aliases_of(const std::string& entry_oid) const {
    std::vector<std::string> out;
    for (const auto& [a, oid] : aliases)
        if (oid == entry_oid) out.push_back(a);
    return out;
}

const AliasEvent* ModelState::latest_event(const std::string& alias) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
        if (it->alias == alias) return &*it;
    return nullptr;
}

std::optional<std::string> ModelState::previous_holder(const std::string& alias) const {
    // Replays the alias's history as a stack: a move pushes its target, a rollback pops.
    std::vector<std::string> stack;
    for (const auto& e : events) {
        if (e.alias != alias) continue;
        if (e.action == "rollback" && !stack.empty())
            stack.pop_back();
        else
            stack.push_back(e.to_entry);
    }
    if (stack.size() < 2) return std::nullopt;
    return stack[stack.size() - 2];
}

ModelState fold(std::string name, std::vector<VersionEntry> versions, std::vector<AliasEvent> events) {
    ModelState s;
    s.name = std::move(name);
    std::sort(versions.begin(), versions.end(), [](const VersionEntry& a, const VersionEntry& b) {
        return std::tie(a.claimed, a.created_ns, a.oid) < std::tie(b.claimed, b.created_ns, b.oid);
    });
    int next = 1;
    for (auto& v : versions) {
        v.version = std::max(v.claimed, next);
        if (v.version != v.claimed)
            s.conflicts.push_back(fmt::format("version {} was registered twice (in different clones); {} by {} at {} is now version {}",
                                              v.claimed, short_oid(v.model_oid), v.user, pipeline::iso_time(v.created_ns), v.version));
        next = v.version + 1;
    }
    s.versions = std::move(versions);
    std::sort(events.begin(), events.end(),
              [](const AliasEvent& a, const AliasEvent& b) { return std::tie(a.time_ns, a.oid) < std::tie(b.time_ns, b.oid); });
    std::map<std::pair<std::string, std::string>, std::vector<const AliasEvent*>> by_parent;
    for (const auto& e : events) {
        by_parent[{e.alias, e.parent}].push_back(&e);
        if (e.to_entry.empty())
            s.aliases.erase(e.alias);
        else
            s.aliases[e.alias] = e.to_entry;
    }
    auto label = [&](const std::string& entry_oid, int written) {
        if (entry_oid.empty()) return std::string("nobody");
        const VersionEntry* v = nullptr;
        for (const auto& x : s.versions)
            if (x.oid == entry_oid) v = &x;
        return fmt::format("version {}", v ? v->version : written);
    };
    for (const auto& [key, list] : by_parent) {
        if (list.size() < 2) continue;
        std::string moves;
        for (const auto* e : list)
            moves += fmt::format("{}{} to {} by {}@{} at {}", moves.empty() ? "" : ", ", e->action, label(e->to_entry, e->to_version),
                                 e->user, e->host, pipeline::iso_time(e->time_ns));
        s.conflicts.push_back(fmt::format("alias {} was moved concurrently ({}); the latest, to {}, counts", key.first, moves,
                                          label(list.back()->to_entry, list.back()->to_version)));
    }
    s.events = std::move(events);
    return s;
}

// ---- objects ----

std::string serialize_version(const VersionEntry& v) {
    nlohmann::json j = {
        {"type", k_version_type},
        {"format", 1},
        {"name", v.name},
        {"version", v.claimed},
        {"model", {{"oid", v.model_oid}, {"kind", v.model_kind}, {"size", v.model_size}, {"files", v.model_files}}},
        {"source", v.source},
        {"run", {{"id", v.run_id}, {"oid", v.run_oid}}},
        {"tags", v.tags},
        {"description", v.description},
        {"metrics", v.metrics},
        {"data", v.data},
        {"code", {{"commit", v.code_commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.code_commit)}, {"dirty", v.code_dirty}}},
        {"signature", v.signature},
        {"user", v.user},
        {"host", v.host},
        {"created_ns", v.created_ns},
    };
    return j.dump(2) + "\n";
}

Result<VersionEntry> parse_version(const std::string& text, const std::string& oid) {
    VersionEntry v;
    v.oid = oid;
    try {
        auto j = nlohmann::json::parse(text);
        if (j.value("type", "") != k_version_type)
            return fail(Error::integrity(fmt::format("object {} is not a model version entry", short_oid(oid))));
        v.name = j.at("name");
        v.claimed = j.at("version");
        const auto& m = j.at("model");
        v.model_oid = m.at("oid");
        v.model_kind = m.value("kind", "dir");
        v.model_size = m.value("size", std::uint64_t(0));
        v.model_files = m.value("files", std::uint64_t(1));
        v.source = j.value("source", "");
        auto run = j.value("run", nlohmann::json::object());
        v.run_id = run.value("id", "");
        v.run_oid = run.value("oid", "");
        v.tags = j.value("tags", std::map<std::string, std::string>{});
        v.description = j.value("description", "");
        v.metrics = j.value("metrics", nlohmann::json::object());
        v.data = j.value("data", nlohmann::json::array());
        auto code = j.value("code", nlohmann::json::object());
        v.code_commit = code.contains("commit") && code["commit"].is_string() ? code["commit"].get<std::string>() : "";
        v.code_dirty = code.value("dirty", false);
        v.signature = j.value("signature", nlohmann::json(nullptr));
        v.user = j.value("user", "");
        v.host = j.value("host", "");
        v.created_ns = j.value("created_ns", std::int64_t(0));
    } catch (const nlohmann::json::exception& e) {
        return fail(Error::integrity(fmt::format("model version entry {} is malformed: {}", short_oid(oid), e.what())));
    }
    if (!valid_name(v.name) || v.claimed < 1 || !util::is_oid(v.model_oid))
        return fail(Error::integrity(fmt::format("model version entry {} is malformed: bad name, version or model oid", short_oid(oid))));
    return v;
}

std::string serialize_event(const AliasEvent& e) {
    auto side = [](const std::string& entry, int version) {
        return entry.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"entry", entry}, {"version", version}};
    };
    nlohmann::json j = {
        {"type", k_event_type}, {"format", 1},        {"name", e.name},   {"alias", e.alias},
        {"action", e.action},   {"from", side(e.from_entry, e.from_version)}, {"to", side(e.to_entry, e.to_version)},
        {"gates", e.gates},     {"parent", e.parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.parent)},
        {"user", e.user},       {"host", e.host},     {"time_ns", e.time_ns},
    };
    return j.dump(2) + "\n";
}

Result<AliasEvent> parse_event(const std::string& text, const std::string& oid) {
    AliasEvent e;
    e.oid = oid;
    try {
        auto j = nlohmann::json::parse(text);
        if (j.value("type", "") != k_event_type)
            return fail(Error::integrity(fmt::format("object {} is not an alias event", short_oid(oid))));
        e.name = j.at("name");
        e.alias = j.at("alias");
        e.action = j.at("action");
        auto side = [](const nlohmann::json& s, std::string& entry, int& version) {
            if (s.is_null()) return;
            entry = s.at("entry");
            version = s.value("version", 0);
        };
        side(j.at("from"), e.from_entry, e.from_version);
        side(j.at("to"), e.to_entry, e.to_version);
        e.gates = j.value("gates", nlohmann::json::array());
        e.parent = j.contains("parent") && j["parent"].is_string() ? j["parent"].get<std::string>() : "";
        e.user = j.value("user", "");
        e.host = j.value("host", "");
        e.time_ns = j.at("time_ns");
    } catch (const nlohmann::json::exception& ex) {
        return fail(Error::integrity(fmt::format("alias event {} is malformed: {}", short_oid(oid), ex.what())));
    }
    return e;
}

nlohmann::json version_json(const VersionEntry& v, const ModelState& state) {
    return {
        {"name", v.name},
        {"version", v.version},
        {"uri", fmt::format("{}:{}", v.name, v.version)},
        {"entry", v.oid},
        {"aliases", state.aliases_of(v.oid)},
        {"model", {{"oid", v.model_oid}, {"kind", v.model_kind}, {"size", v.model_size}, {"files", v.model_files}}},
        {"source", v.source},
        {"run", v.run_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.run_id)},
        {"tags", v.tags},
        {"description", v.description},
        {"metrics", v.metrics},
        {"data", v.data},
        {"code", {{"commit", v.code_commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(v.code_commit)}, {"dirty", v.code_dirty}}},
        {"signature", v.signature},
        {"user", v.user},
        {"host", v.host},
        {"created", pipeline::iso_time(v.created_ns)},
    };
}

nlohmann::json event_json(const AliasEvent& e) {
    auto side = [](const std::string& entry, int version) {
        return entry.empty() ? nlohmann::json(nullptr) : nlohmann::json(version);
    };
    return {{"alias", e.alias},   {"action", e.action}, {"from", side(e.from_entry, e.from_version)},
            {"to", side(e.to_entry, e.to_version)}, {"gates", e.gates}, {"user", e.user},
            {"host", e.host},     {"time", pipeline::iso_time(e.time_ns)}, {"event", e.oid}};
}

// ---- reading the registry ----

Result<std::vector<std::string>> model_names(Repository& repo) {
    auto* index = MLOPS_TRY(repo.index());
    std::set<std::string> names;
    for (const auto& r : MLOPS_TRY(index->registry_objects(""))) names.insert(r.name);
    return std::vector<std::string>(names.begin(), names.end());
}

Result<ModelState> load_model(Repository& repo, const std::string& name) {
    auto* index = MLOPS_TRY(repo.index());
    auto rows = MLOPS_TRY(index->registry_objects(name));
    std::erase_if(rows, [](const auto& r) { return r.kind == "signature" || r.kind == "explanation"; });
    std::vector<VersionEntry> versions;
    std::vector<AliasEvent> events;
    for (const auto& r : rows) {
        auto text = repo.objects().read(r.oid);
        if (!text)
            return fail(Error(text.error().kind, fmt::format("registry of model {}: {}", name, text.error().message)));
        if (r.kind == "version")
            versions.push_back(MLOPS_TRY(parse_version(*text, r.oid)));
        else if (r.kind == "alias")
            events.push_back(MLOPS_TRY(parse_event(*text, r.oid)));
    }
    if (versions.empty()) {
        auto names = MLOPS_TRY(model_names(repo));
        return fail(Error::usage(fmt::format("no model named '{}' in the registry ({})", name,
                                             names.empty() ? std::string("it is empty; see `mlops model register`")
                                                           : "models: " + fmt::format("{}", fmt::join(names, ", ")))));
    }
    return fold(name, std::move(versions), std::move(events));
}

Result<const VersionEntry*> resolve(const ModelState& state, const ModelRef& ref) {
    if (!ref.alias.empty()) {
        const auto* v = state.holder(ref.alias);
        if (!v) {
            std::vector<std::string> names;
            for (const auto& [a, _] : state.aliases) names.push_back(a);
            return fail(Error::usage(fmt::format("model {} has no alias '{}' ({})", state.name, ref.alias,
                                                 names.empty() ? std::string("it has no aliases")
                                                               : fmt::format("aliases: {}", fmt::join(names, ", ")))));
        }
        return v;
    }
    if (ref.version > 0) {
        const auto* v = state.version(ref.version);
        if (!v)
            return fail(Error::usage(fmt::format("model {} has no version {} (versions 1 to {})", state.name, ref.version,
                                                 state.versions.back().version)));
        return v;
    }
    return &state.versions.back();
}

// ---- writing ----

Result<VersionEntry> register_version(Repository& repo, const NewVersion& nv) {
    if (!valid_name(nv.name))
        return fail(Error::usage(fmt::format("'{}' is not a valid model name (letters, digits, '_', '-', '.')", nv.name)));
    auto objects_lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    auto lock = MLOPS_TRY(registry_lock(repo));
    int claimed = 1;
    if (auto state = load_model(repo, nv.name)) claimed = state->versions.back().version + 1;
    else if (state.error().kind != util::ErrorKind::usage) return fail(std::move(state).error());
    VersionEntry v;
    v.name = nv.name;
    v.claimed = claimed;
    v.version = claimed;
    v.model_oid = nv.model_oid;
    v.model_kind = nv.model_kind;
    v.model_size = nv.model_size;
    v.model_files = nv.model_files;
    v.source = nv.source;
    v.run_id = nv.run_id;
    v.run_oid = nv.run_oid;
    v.tags = nv.tags;
    v.description = nv.description;
    v.metrics = nv.metrics;
    v.data = nv.data;
    v.code_commit = nv.code_commit;
    v.code_dirty = nv.code_dirty;
    v.signature = nv.signature;
    v.user = util::user_name();
    v.host = util::host_name();
    v.created_ns = util::now_ns();
    v.oid = MLOPS_TRY(store_object(repo, serialize_version(v), "version", v.name, v.created_ns));
    return v;
}

Result<AliasEvent> move_alias(Repository& repo, const std::string& name, const std::string& alias, const std::string& to_entry,
                              const std::string& action, const nlohmann::json& gates) {
    if (!valid_name(alias)) return fail(Error::usage(fmt::format("'{}' is not a valid alias (letters, digits, '_', '-', '.')", alias)));
    auto objects_lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    auto lock = MLOPS_TRY(registry_lock(repo));
    auto state = MLOPS_TRY(load_model(repo, name));
    AliasEvent e;
    e.name = name;
    e.alias = alias;
    e.action = action;
    if (const auto* from = state.holder(alias)) {
        e.from_entry = from->oid;
        e.from_version = from->version;
    }
    if (!to_entry.empty()) {
        const auto* to = state.entry(to_entry);
        if (!to) return fail(Error::usage(fmt::format("model {} has no version entry {}", name, short_oid(to_entry))));
        e.to_entry = to->oid;
        e.to_version = to->version;
    }
    e.gates = gates;
    if (const auto* last = state.latest_event(alias)) e.parent = last->oid;
    e.user = util::user_name();
    e.host = util::host_name();
    // Strictly after the event it follows, even when the clock went back.
    e.time_ns = util::now_ns();
    if (!state.events.empty()) e.time_ns = std::max(e.time_ns, state.events.back().time_ns + 1);
    e.oid = MLOPS_TRY(store_object(repo, serialize_event(e), "alias", name, e.time_ns));
    return e;
}

// ---- describing a model to register ----

namespace {

// The model's own bundle manifest, when it is a bundle folder in the store.
Result<std::optional<nlohmann::json>> bundle_manifest(Repository& repo, const std::string& oid, const std::string& kind) {
    if (kind != "dir") return std::optional<nlohmann::json>{};
    auto text = MLOPS_TRY(repo.objects().read(oid));
    auto tree = MLOPS_TRY(store::Tree::parse(text, oid));
    for (const auto& e : tree.entries) {
        if (e.path != "manifest.json") continue;
        auto m = MLOPS_TRY(repo.objects().read(e.oid));
        try {
            return std::optional<nlohmann::json>(nlohmann::json::parse(m));
        } catch (const nlohmann::json::exception&) {
            return std::optional<nlohmann::json>{};
        }
    }
    return std::optional<nlohmann::json>{};
}

// Fills in what the run, the bundle and the runs that consumed the model say.
Status complete(Repository& repo, NewVersion& nv, const std::optional<pipeline::RunRecord>& run) {
    auto manifest = MLOPS_TRY(bundle_manifest(repo, nv.model_oid, nv.model_kind));
    nlohmann::json metrics = nlohmann::json::object();
    if (manifest) {
        nv.signature = manifest->value("signature", nlohmann::json(nullptr));
        flatten_into(metrics, manifest->value("metrics", nlohmann::json::object()), "", true);
        auto data = manifest->value("data", nlohmann::json::object());
        for (const char* split : {"train", "test"})
            if (data.contains(split) && data[split].is_object())
                nv.data.push_back({{"path", data[split].value("path", "")}, {"oid", data[split].value("oid", "")}, {"role", split}});
        auto code = manifest->value("code", nlohmann::json::object());
        if (code.contains("commit") && code["commit"].is_string()) nv.code_commit = code["commit"];
    }
    if (run) {
        auto flat = run_metrics(*run);
        for (const auto& [k, v] : flat.items()) metrics[k] = v;
        nv.data = nlohmann::json::array();
        for (const auto& [path, oid] : run->deps) nv.data.push_back({{"path", path}, {"oid", oid}});
        nv.code_commit = run->code.commit;
        nv.code_dirty = run->code.dirty;
    }
    // Runs that consumed this model (an evaluate stage) say how good it is; the latest per stage.
    auto* index = MLOPS_TRY(repo.index());
    std::set<std::string> stages_seen;
    for (const auto& row : MLOPS_TRY(index->runs("", 0))) {
        if (row.status != "succeeded" || stages_seen.contains(row.stage)) continue;
        auto text = repo.objects().read(row.oid);
        if (!text) continue;
        auto rec = pipeline::parse_run_record(*text, row.oid);
        if (!rec) continue;
        bool consumed = std::any_of(rec->deps.begin(), rec->deps.end(), [&](const auto& d) { return d.second == nv.model_oid; });
        if (!consumed) continue;
        stages_seen.insert(row.stage);
        auto flat = run_metrics(*rec);
        for (const auto& [k, v] : flat.items()) metrics[k] = v;
    }
    for (const auto& [k, v] : nv.metrics.items()) metrics[k] = v; // explicit --metric wins
    nv.metrics = std::move(metrics);
    return {};
}

} // namespace

Result<NewVersion> describe_path(Repository& repo, const std::string& rel) {
    NewVersion nv;
    auto objects_lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    store::WriteBatch batch;
    workspace::ScanOptions so;
    so.mode = workspace::StoreMode::store;
    so.batch = &batch;
    auto snap = MLOPS_TRY(workspace::snapshot(repo, rel, so));
    MLOPS_TRYV(repo.objects().commit(batch));
    auto* index = MLOPS_TRY(repo.index());
    if (snap.stat_set) (void)index->store_stat_set(rel, *snap.stat_set);
    nv.model_oid = snap.pointer.oid;
    nv.model_kind = workspace::kind_name(snap.pointer.kind);
    nv.model_size = snap.pointer.size;
    nv.model_files = snap.pointer.files;
    nv.source = rel;
    // The latest succeeded run that produced exactly this content.
    std::optional<pipeline::RunRecord> run;
    for (const auto& row : MLOPS_TRY(index->runs("", 0))) {
        if (row.status != "succeeded") continue;
        auto text = repo.objects().read(row.oid);
        if (!text) continue;
        auto rec = pipeline::parse_run_record(*text, row.oid);
        if (!rec) continue;
        if (std::any_of(rec->outs.begin(), rec->outs.end(), [&](const auto& o) { return o.oid == nv.model_oid; })) {
            nv.run_id = rec->run_id;
            nv.run_oid = row.oid;
            run = std::move(*rec);
            break;
        }
    }
    MLOPS_TRYV(complete(repo, nv, run));
    return nv;
}

Result<NewVersion> describe_run(Repository& repo, const std::string& run_prefix, const std::string& output) {
    auto* index = MLOPS_TRY(repo.index());
    auto rows = MLOPS_TRY(index->runs_with_prefix(run_prefix));
    if (run_prefix.empty() || rows.empty())
        return fail(Error::usage(fmt::format("'{}' is neither a path in the work tree nor a recorded run (see `mlops runs list`)", run_prefix)));
    if (rows.size() > 1) {
        std::string ids;
        for (const auto& r : rows) ids += fmt::format(" {} ({})", r.run_id, r.stage);
        return fail(Error::usage(fmt::format("run id prefix '{}' matches {} runs:{}", run_prefix, rows.size(), ids)));
    }
    auto text = MLOPS_TRY(repo.objects().read(rows.front().oid));
    auto rec = MLOPS_TRY(pipeline::parse_run_record(text, rows.front().oid));
    if (rec.status != "succeeded")
        return fail(Error::usage(fmt::format("run {} ({}) {}; only a succeeded run's output can be registered", rec.run_id, rec.stage, rec.status)));
    const pipeline::LockedOut* chosen = nullptr;
    std::vector<std::string> names;
    for (const auto& o : rec.outs) names.push_back(o.path);
    if (!output.empty()) {
        for (const auto& o : rec.outs)
            if (o.path == output) chosen = &o;
        if (!chosen)
            return fail(Error::usage(fmt::format("run {} has no output '{}' (outputs: {})", rec.run_id, output, fmt::join(names, ", "))));
    } else if (rec.outs.size() == 1) {
        chosen = &rec.outs.front();
    } else {
        for (const auto& o : rec.outs) {
            if (!repo.objects().exists(o.oid)) continue;
            if (MLOPS_TRY(bundle_manifest(repo, o.oid, o.kind))) {
                if (chosen)
                    return fail(Error::usage(fmt::format("run {} has several model bundles ({}); choose one with --output", rec.run_id,
                                                         fmt::join(names, ", "))));
                chosen = &o;
            }
        }
        if (!chosen)
            return fail(Error::usage(fmt::format("run {} has {} outputs and none is a model bundle ({}); choose one with --output",
                                                 rec.run_id, rec.outs.size(), names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")))));
    }
    if (!repo.objects().exists(chosen->oid))
        return fail(Error::usage(fmt::format("the output {} of run {} ({}) is not in the local store (fetch it first)", chosen->path,
                                             rec.run_id, short_oid(chosen->oid))));
    NewVersion nv;
    nv.model_oid = chosen->oid;
    nv.model_kind = chosen->kind;
    nv.model_size = chosen->size;
    nv.model_files = chosen->files;
    nv.source = chosen->path;
    nv.run_id = rec.run_id;
    nv.run_oid = rows.front().oid;
    MLOPS_TRYV(complete(repo, nv, rec));
    return nv;
}

// ---- using a registered model ----

Result<std::string> model_folder(Repository& repo, const VersionEntry& v) {
    std::string dir = fmt::format("{}/tmp/models/{}", repo.mlops_dir(), v.model_oid);
    if (MLOPS_TRY(util::stat_path(dir))) return dir;
    if (!repo.objects().exists(v.model_oid))
        return fail(Error::usage(fmt::format("model {}:{} ({}) is not in the local store; run `mlops fetch {}:{}`", v.name, v.version,
                                             short_oid(v.model_oid), v.name, v.version)));
    if (v.model_kind != "dir")
        return fail(Error::usage(fmt::format("model {}:{} is a single file, not a model bundle folder", v.name, v.version)));
    auto tree = MLOPS_TRY(store::Tree::parse(MLOPS_TRY(repo.objects().read(v.model_oid)), v.model_oid));
    MLOPS_TRYV(util::make_dirs(util::parent_path(dir)));
    std::string tmp = util::temp_name_in(util::parent_path(dir));
    static const std::vector<workspace::LinkType> k_copy{workspace::LinkType::copy};
    auto write = [&]() -> Status {
        for (const auto& e : tree.entries) {
            if (!repo.objects().exists(e.oid))
                return fail(Error::usage(fmt::format("model {}:{}: its file {} is not in the local store; run `mlops fetch {}:{}`", v.name,
                                                     v.version, e.path, v.name, v.version)));
            std::string to = tmp + "/" + e.path;
            MLOPS_TRYV(util::make_dirs(util::parent_path(to)));
            MLOPS_TRYV(workspace::materialize_file(repo, e.oid, e.mode, to, k_copy));
        }
        return {};
    };
    MLOPS_TRYV(util::make_dirs(tmp));
    auto st = write();
    if (st && ::rename(tmp.c_str(), dir.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY)
        st = fail(Error::from_errno(fmt::format("cannot rename {} to {}", tmp, dir), errno));
    if (MLOPS_TRY(util::stat_path(tmp))) ml::remove_tree(tmp);
    if (!st) return fail(std::move(st).error());
    return dir;
}

// ---- signatures ----

Result<std::string> add_signature(Repository& repo, const signing::Signature& sig) {
    auto objects_lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    auto lock = MLOPS_TRY(registry_lock(repo));
    return store_object(repo, signing::serialize(sig), "signature", sig.name, sig.time_ns);
}

Result<std::vector<signing::Signature>> signatures(Repository& repo, const VersionEntry& v) {
    auto* index = MLOPS_TRY(repo.index());
    std::vector<signing::Signature> out;
    for (const auto& r : MLOPS_TRY(index->registry_objects(v.name))) {
        if (r.kind != "signature") continue;
        auto text = MLOPS_TRY(repo.objects().read(r.oid));
        auto sig = MLOPS_TRY(signing::parse(text, fmt::format("signature object {}", short_oid(r.oid))));
        if (sig.entry != v.oid) continue;
        sig.oid = r.oid;
        out.push_back(std::move(sig));
    }
    return out;
}

Result<GateCheck> check_gates(const ModelState& state, const VersionEntry& v, const std::string& alias,
                              const std::vector<Gate>& gates) {
    GateCheck c;
    c.holder = state.holder(alias);
    std::optional<nlohmann::json> current;
    std::string current_label = "nobody";
    if (c.holder) {
        current = c.holder->metrics;
        current_label = fmt::format("version {} (current {})", c.holder->version, alias);
    }
    for (const auto& g : gates) {
        c.results.push_back(MLOPS_TRY(evaluate_gate(g, v.metrics, fmt::format("{} version {}", v.name, v.version), current, current_label)));
        c.failed += !c.results.back().ok;
    }
    return c;
}

// ---- explanations ----

std::string serialize_explanation(const Explanation& e) {
    nlohmann::json j = {{"type", k_explanation_type}, {"format", 1},       {"name", e.name},         {"entry", e.entry},
                        {"version", e.version},       {"method", e.method}, {"data", e.data},         {"data_sha256", e.data_sha256},
                        {"report", e.report},         {"user", e.user},     {"host", e.host},         {"time_ns", e.time_ns}};
    return j.dump() + "\n";
}

Result<Explanation> parse_explanation(const std::string& text, const std::string& oid) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("type", "") != k_explanation_type)
        return fail(Error::integrity(fmt::format("object {} is not a model explanation", short_oid(oid))));
    try {
        Explanation e;
        e.oid = oid;
        e.name = j.at("name").get<std::string>();
        e.entry = j.at("entry").get<std::string>();
        e.version = j.at("version").get<int>();
        e.method = j.at("method").get<std::string>();
        e.data = j.at("data").get<std::string>();
        e.data_sha256 = j.at("data_sha256").get<std::string>();
        e.report = j.at("report");
        e.user = j.at("user").get<std::string>();
        e.host = j.at("host").get<std::string>();
        e.time_ns = j.at("time_ns").get<std::int64_t>();
        return e;
    } catch (const std::exception& ex) {
        return fail(Error::integrity(fmt::format("model explanation {}: {}", short_oid(oid), ex.what())));
    }
}

Result<std::string> add_explanation(Repository& repo, const Explanation& e) {
    auto objects_lock = MLOPS_TRY(repo.lock_objects(util::LockMode::shared));
    auto lock = MLOPS_TRY(registry_lock(repo));
    return store_object(repo, serialize_explanation(e), "explanation", e.name, e.time_ns);
}

Result<std::vector<Explanation>> explanations(Repository& repo, const VersionEntry& v) {
    auto* index = MLOPS_TRY(repo.index());
    std::vector<Explanation> out;
    for (const auto& r : MLOPS_TRY(index->registry_objects(v.name))) {
        if (r.kind != "explanation") continue;
        auto text = MLOPS_TRY(repo.objects().read(r.oid));
        auto e = MLOPS_TRY(parse_explanation(text, r.oid));
        if (e.entry == v.oid) out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.time_ns < b.time_ns; });
    return out;
}

std::string explanation_summary(const Explanation& e, std::size_t top) {
    std::vector<std::string> parts;
    auto names = [&](const nlohmann::json& list, const char* key) {
        std::vector<std::string> n;
        for (const auto& f : list) {
            if (n.size() == top) break;
            n.push_back(f.value(key, ""));
        }
        return fmt::format("{}", fmt::join(n, ", "));
    };
    const auto& p = e.report.value("permutation", nlohmann::json());
    if (p.is_object()) parts.push_back("permutation: " + names(p.value("features", nlohmann::json::array()), "feature"));
    const auto& g = e.report.value("integrated_gradients", nlohmann::json());
    if (g.is_object()) parts.push_back("integrated gradients: " + names(g.value("global", nlohmann::json::array()), "feature"));
    return fmt::format("{}", fmt::join(parts, "; "));
}

// ---- index, gc and travel ----

Result<bool> index_object(Repository& repo, const std::string& oid, const std::string& text) {
    auto* index = MLOPS_TRY(repo.index());
    if (text.find(k_explanation_type) != std::string::npos) {
        auto e = parse_explanation(text, oid);
        if (!e) return false;
        MLOPS_TRYV(index->insert_registry_objects({{oid, "explanation", e->name, e->time_ns}}));
        return true;
    }
    if (text.find(signing::k_signature_type) != std::string::npos) {
        auto sig = signing::parse(text, oid);
        if (!sig || sig->name.empty()) return false;
        MLOPS_TRYV(index->insert_registry_objects({{oid, "signature", sig->name, sig->time_ns}}));
        return true;
    }
    if (text.find(k_version_type) != std::string::npos) {
        auto v = parse_version(text, oid);
        if (!v) return false;
        MLOPS_TRYV(index->insert_registry_objects({{oid, "version", v->name, v->created_ns}}));
        return true;
    }
    if (text.find(k_event_type) != std::string::npos) {
        auto e = parse_event(text, oid);
        if (!e) return false;
        MLOPS_TRYV(index->insert_registry_objects({{oid, "alias", e->name, e->time_ns}}));
        return true;
    }
    return false;
}

Result<std::size_t> reindex_registry(Repository& repo) {
    std::size_t n = 0;
    for (const char* type : {k_version_type, k_event_type, signing::k_signature_type, k_explanation_type})
        MLOPS_TRYV(repo.objects().for_each_record(type, [&](const std::string& oid, const std::string& text) -> Status {
            if (MLOPS_TRY(index_object(repo, oid, text))) ++n;
            return {};
        }));
    return n;
}

Result<Reachable> all_objects(Repository& repo) {
    Reachable r;
    auto* index = MLOPS_TRY(repo.index());
    for (const auto& row : MLOPS_TRY(index->registry_objects(""))) {
        r.objects.push_back(row.oid);
        if (row.kind != "version") continue;
        auto text = repo.objects().read(row.oid);
        if (!text) continue; // fsck reports a damaged object; its model is unknown here
        auto v = parse_version(*text, row.oid);
        if (v) r.versions.push_back(std::move(*v));
    }
    return r;
}

namespace {
Status collect_registry(Repository& repo, workspace::RootScope, workspace::Reachable& reach) {
    auto all = MLOPS_TRY(all_objects(repo));
    for (const auto& oid : all.objects) reach.add_oid(oid);
    for (const auto& v : all.versions) {
        workspace::Pointer p{1, v.model_kind == "dir" ? workspace::Kind::dir : workspace::Kind::file, v.model_oid, v.model_size,
                             v.model_files};
        if (!repo.objects().exists(v.model_oid)) {
            reach.add_oid(v.model_oid); // not here (registered elsewhere, not fetched): nothing to expand
            continue;
        }
        MLOPS_TRYV(reach.add_pointer(p, fmt::format("model {}:{}", v.name, v.claimed)));
    }
    return {};
}
} // namespace

const std::vector<workspace::RootSource>& root_sources() {
    static const std::vector<workspace::RootSource> sources = {{"model registry", collect_registry}};
    return sources;
}

} // namespace mlops::registry
