// mlops keygen -o NAME: an Ed25519 key pair for model signing (docs/serving.md, "Signing"):
// NAME.pem (private, mode 0600) and NAME.pub.pem.
#include "commands.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <mlops/util/ed25519.hpp>
#include <mlops/util/fs.hpp>

namespace mlops::cli {

struct KeygenOptions {
    std::string out;
    bool force = false;
};

namespace {
// Created with O_EXCL (never over an existing key unless --force) and the mode from the start.
void write_key(const std::string& path, const std::string& text, unsigned mode, bool force) {
    if (force) ::unlink(path.c_str());
    util::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) {
        if (errno == EEXIST)
            throw util::CommandError(util::Error::usage(fmt::format("{}: already exists (--force replaces it)", path)));
        throw util::CommandError(util::Error::from_errno(path, errno));
    }
    util::check(util::write_all(fd.get(), text.data(), text.size(), path));
    if (::fsync(fd.get()) != 0) throw util::CommandError(util::Error::from_errno(path, errno));
}
} // namespace

int run_keygen(Context& ctx, const KeygenOptions& opts) {
    auto keys = util::value_or_throw(util::ed25519_generate());
    std::string priv = ctx.user_path(opts.out + ".pem"), pub = ctx.user_path(opts.out + ".pub.pem");
    if (!opts.force)
        for (const auto& p : {priv, pub})
            if (util::value_or_throw(util::stat_path(p)))
                throw util::CommandError(util::Error::usage(fmt::format("{}: already exists (--force replaces it)", p)));
    write_key(priv, keys.private_pem, 0600, opts.force);
    write_key(pub, keys.public_pem, 0644, opts.force);
    auto id = util::value_or_throw(util::ed25519_key_id(keys.public_pem, pub));
    if (ctx.global.json)
        ctx.print_json({{"private_key", opts.out + ".pem"}, {"public_key", opts.out + ".pub.pem"}, {"key_id", id}});
    else
        ctx.say(fmt::format("Wrote {0}.pem (private, keep it secret) and {0}.pub.pem (key {1})", opts.out, id.substr(0, 12)));
    return 0;
}

Runner register_keygen(CLI::App& app) {
    auto opts = std::make_shared<KeygenOptions>();
    auto* cmd = app.add_subcommand("keygen", "Create an Ed25519 key pair for signing models (docs/serving.md)");
    cmd->add_option("-o,--output", opts->out, "Write NAME.pem (private, mode 0600) and NAME.pub.pem")->required()->type_name("NAME");
    cmd->add_flag("--force", opts->force, "Replace existing key files");
    return [opts](Context& ctx) { return run_keygen(ctx, *opts); };
}

} // namespace mlops::cli
