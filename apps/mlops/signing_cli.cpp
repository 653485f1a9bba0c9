#include "signing_cli.hpp"

#include <mlops/util/ed25519.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::cli {

std::string signature_file_of(const std::string& dir) {
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    return d + ".sig.json";
}

std::string model_label(const ResolvedModel& m) {
    return m.version ? fmt::format("model {}:{}", m.version->name, m.version->version) : fmt::format("model {}", m.spec);
}

KeySignature find_signature(Context& ctx, const ResolvedModel& m, const std::string& pubkey_path) {
    KeySignature ks;
    ks.key_what = pubkey_path;
    auto text = util::read_file(ctx.user_path(pubkey_path));
    if (!text) throw util::CommandError(util::Error::usage(fmt::format("{}: cannot read the public key: {}", pubkey_path, text.error().message)));
    ks.public_pem = *text;
    ks.key_id = util::value_or_throw(util::ed25519_key_id(ks.public_pem, pubkey_path));
    if (m.version) {
        auto sigs = util::value_or_throw(registry::signatures(ctx.repo(), *m.version));
        for (auto& s : sigs)
            if (s.key_id == ks.key_id) ks.signature = std::move(s); // the latest by this key
        return ks;
    }
    std::string file = signature_file_of(m.dir);
    if (!util::value_or_throw(util::stat_path(file))) return ks;
    auto sig = util::value_or_throw(signing::parse(util::value_or_throw(util::read_file(file)), file));
    if (sig.key_id == ks.key_id) ks.signature = std::move(sig);
    return ks;
}

signing::Signature require_signature(Context& ctx, const ResolvedModel& m, const std::string& pubkey_path) {
    auto ks = find_signature(ctx, m, pubkey_path);
    if (!ks.signature)
        throw util::CommandError(util::Error::integrity(fmt::format(
            "{} is not signed by the key in {} (key {}){}; refusing it", model_label(m), pubkey_path, ks.key_id.substr(0, 12),
            m.version ? "" : fmt::format(": no signature by it in {}", signature_file_of(m.spec)))));
    auto st = signing::verify_folder(*ks.signature, m.dir, ks.public_pem, pubkey_path);
    if (!st)
        throw util::CommandError(util::Error::integrity(fmt::format("{} fails its signature check: {}; refusing it", model_label(m),
                                                                    st.error().message)));
    return *ks.signature;
}

} // namespace mlops::cli
