// mlops model sign / model verify (docs/serving.md, "Signing"): an Ed25519 signature over the list
// of a model's file digests, stored in the registry next to the version (or, for a plain folder,
// written to <folder>.sig.json), and its check by a public key.
#include "commands.hpp"

#include <mlops/ml/bundle.hpp>
#include <mlops/pipeline/record.hpp>
#include <mlops/util/ed25519.hpp>
#include <mlops/util/fs.hpp>

#include "signing_cli.hpp"

namespace mlops::cli {

namespace {

nlohmann::json signature_json(const ResolvedModel& m, const signing::Signature& s) {
    return {{"name", m.version ? nlohmann::json(m.version->name) : nlohmann::json(nullptr)},
            {"version", m.version ? nlohmann::json(m.version->version) : nlohmann::json(nullptr)},
            {"model_oid", s.model_oid},
            {"key_id", s.key_id},
            {"files", s.files.entries.size()},
            {"signature", s.oid.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.oid)},
            {"signed_by", s.user + "@" + s.host},
            {"time", pipeline::iso_time(s.time_ns)}};
}

int run_model_sign(Context& ctx, const std::string& spec, const std::string& key_path) {
    auto m = resolve_model(ctx, spec);
    auto key = util::read_file(ctx.user_path(key_path));
    if (!key) throw util::CommandError(util::Error::usage(fmt::format("{}: cannot read the private key: {}", key_path, key.error().message)));
    // Sign only an intact bundle: every file as its manifest says.
    util::value_or_throw(ml::open_bundle(m.dir));
    auto sig = util::value_or_throw(signing::sign_folder(m.dir, *key, key_path));
    std::string where;
    if (m.version) {
        if (sig.model_oid != m.version->model_oid)
            throw util::CommandError(util::Error::integrity(fmt::format(
                "{}: the files in {} (oid {}) are not the registered model (oid {})", model_label(m), m.dir,
                sig.model_oid.substr(0, 12), m.version->model_oid.substr(0, 12))));
        sig.name = m.version->name;
        sig.version = m.version->version;
        sig.entry = m.version->oid;
        sig.oid = util::value_or_throw(registry::add_signature(ctx.repo(), sig));
        where = "the registry";
    } else {
        where = signature_file_of(m.spec);
        util::check(util::write_file_atomic(signature_file_of(m.dir), signing::serialize(sig), util::Durability::fsync));
    }
    if (ctx.global.json)
        ctx.print_json(signature_json(m, sig));
    else
        ctx.say(fmt::format("Signed {} ({} files, oid {}) with key {}; signature in {}", model_label(m), sig.files.entries.size(),
                            sig.model_oid.substr(0, 12), sig.key_id.substr(0, 12), where));
    return 0;
}

int run_model_verify(Context& ctx, const std::string& spec, const std::string& pubkey_path) {
    auto m = resolve_model(ctx, spec);
    auto ks = find_signature(ctx, m, pubkey_path);
    if (!ks.signature) {
        if (ctx.global.json)
            ctx.print_json({{"verified", false}, {"key_id", ks.key_id}, {"reason", "no signature by this key"}});
        else
            ctx.err() << fmt::format("mlops: {} is not signed by the key in {} (key {})\n", model_label(m), pubkey_path, ks.key_id.substr(0, 12));
        return int(util::ExitCode::condition_false);
    }
    auto st = signing::verify_folder(*ks.signature, m.dir, ks.public_pem, pubkey_path);
    if (!st)
        throw util::CommandError(util::Error::integrity(fmt::format("{} fails verification: {}", model_label(m), st.error().message)));
    if (ctx.global.json) {
        auto j = signature_json(m, *ks.signature);
        j["verified"] = true;
        ctx.print_json(j);
    } else {
        ctx.say(fmt::format("Verified {}: {} files match the manifest signed by key {} ({}@{}, {})", model_label(m),
                            ks.signature->files.entries.size(), ks.key_id.substr(0, 12), ks.signature->user, ks.signature->host,
                            pipeline::iso_time(ks.signature->time_ns)));
    }
    return 0;
}

} // namespace

std::function<std::optional<int>(Context&)> register_model_signing(CLI::App& model) {
    struct Opts {
        std::string spec, key, pubkey;
    };
    auto opts = std::make_shared<Opts>();
    auto* sign = model.add_subcommand("sign", "Sign a model version's files with an Ed25519 key (stored in the registry)");
    sign->add_option("model", opts->spec, "NAME:VERSION, NAME@ALIAS or a model folder")->required()->type_name("MODEL");
    sign->add_option("--key", opts->key, "The private key (mlops keygen)")->required()->type_name("KEY.pem");
    auto* verify = model.add_subcommand("verify", "Check a model's signature by a public key (exit 1: not signed by it, 3: invalid)");
    verify->add_option("model", opts->spec, "NAME:VERSION, NAME@ALIAS or a model folder")->required()->type_name("MODEL");
    verify->add_option("--pubkey", opts->pubkey, "The public key")->required()->type_name("PUB.pem");
    return [opts, sign, verify](Context& ctx) -> std::optional<int> {
        if (sign->parsed()) return run_model_sign(ctx, opts->spec, opts->key);
        if (verify->parsed()) return run_model_verify(ctx, opts->spec, opts->pubkey);
        return std::nullopt;
    };
}

} // namespace mlops::cli
