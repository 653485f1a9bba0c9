// mlops serve MODEL: an HTTP scoring server (docs/serving.md). MLflow's scoring API (POST
// /invocations), health, version and Prometheus metrics, a JSON-lines prediction log, reload on
// SIGHUP or when the followed alias moves, graceful shutdown on SIGTERM. HTTP comes from the
// libmlops_http.so plugin (cpp-httplib), the model from libmlops_torch.so, as in `mlops predict`.
#include "commands.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <thread>

#include <mlops/serve/http_api.hpp>
#include <mlops/serve/metrics.hpp>
#include <mlops/serve/predlog.hpp>
#include <mlops/serve/request.hpp>
#include <mlops/signing/signing.hpp>

#include "ml_cli.hpp"
#include "signing_cli.hpp"

#ifndef MLOPS_HAVE_HTTP
#define MLOPS_HAVE_HTTP 0
#endif

namespace mlops::cli {

struct ServeOptions {
    std::string model;
    std::string host = "127.0.0.1";
    int port = 8080;
    int threads = 64;
    std::size_t max_body = 16u << 20;
    double timeout = 10.0;
    std::string log;
    std::uint64_t log_max_bytes = 100u << 20;
    int log_keep = 5;
    double log_sample = 1.0;
    bool follow_alias = false;
    double poll = 5.0;
    std::string require_signature;
};

namespace {

using Clock = std::chrono::steady_clock;

// One loaded model; a reload builds a new one and swaps the pointer, so a request keeps the model
// it started with until it is answered.
struct Served {
    ResolvedModel source;
    std::string name; // "" for a folder
    int version = 0;
    std::string oid;  // the registry's model oid (the folder's tree oid)
    std::unique_ptr<LoadedModel> model;
};

struct Server {
    const MlopsTorchApi* torch_api = nullptr;
    std::shared_ptr<const Served> current; // read and replaced with std::atomic_load/store
    serve::Metrics metrics;
    std::unique_ptr<serve::PredictionLog> log;
    std::atomic<bool> log_failed{false};

    std::shared_ptr<const Served> served() const { return std::atomic_load(&current); }
};

std::shared_ptr<const Served> load_served(Context& ctx, const TorchPlugin& torch, const ServeOptions& opts) {
    auto s = std::make_shared<Served>();
    s->source = resolve_model(ctx, opts.model);
    if (!opts.require_signature.empty()) require_signature(ctx, s->source, opts.require_signature);
    // One inference thread per request: the worker threads are the parallelism.
    s->model = std::make_unique<LoadedModel>(torch, s->source.dir, 1);
    // TorchScript's profiling executor optimises a graph over its first runs (tens of ms each): run
    // those here, before the port opens or the reloaded model is swapped in, not in a client's request.
    ml::Matrix warm;
    warm.cols = s->model->preprocessor().width();
    warm.rows = 1;
    warm.data.assign(warm.cols, 0.0f);
    for (int i = 0; i < 3; ++i) s->model->run(warm);
    if (s->source.version) {
        s->name = s->source.version->name;
        s->version = s->source.version->version;
        s->oid = s->source.version->model_oid;
    } else {
        s->oid = signing::tree_oid(util::value_or_throw(signing::digest_folder(s->source.dir)));
    }
    return s;
}

void respond_json(MlopsHttpResponse* out, MlopsHttpRespond respond, int status, const nlohmann::json& body) {
    std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    respond(out, status, "application/json", text.data(), text.size());
}

void write_log(Server& srv, const Served& s, serve::LogEntry e) {
    e.model = s.name;
    e.version = s.version;
    e.oid = s.oid;
    auto st = srv.log->write(e);
    if (!st) {
        srv.metrics.log_error();
        if (!srv.log_failed.exchange(true)) fmt::print(stderr, "mlops: warning: prediction log: {}\n", st.error().message);
    }
}

// POST /invocations. Returns the status sent.
int invocations(Server& srv, const Served& s, const MlopsHttpRequest* req, MlopsHttpResponse* out, MlopsHttpRespond respond,
                Clock::time_point start) {
    const bool logged = srv.log && srv.log->sampled();
    auto finish_log = [&](int status, nlohmann::json inputs, std::optional<nlohmann::json> output, std::string error) {
        if (!logged) return;
        serve::LogEntry e;
        e.time = std::chrono::system_clock::now();
        if (inputs.is_array() && inputs.size() == 1) inputs = inputs[0];
        if (output && output->is_array() && output->size() == 1) output = (*output)[0];
        e.inputs = std::move(inputs);
        e.output = std::move(output);
        e.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        e.status = status;
        e.error = std::move(error);
        write_log(srv, s, std::move(e));
    };
    const auto& pre = s.model->preprocessor();
    auto batch = serve::parse_invocation(req->content_type, std::string_view(req->body, req->body_size), pre);
    if (!batch) {
        auto& r = batch.error();
        respond_json(out, respond, r.status, {{"error", r.error}});
        finish_log(r.status, std::move(r.inputs), std::nullopt, r.error);
        return r.status;
    }
    std::vector<std::size_t> kept;
    auto x = pre.transform(batch->frame, &kept);
    if (!x) {
        respond_json(out, respond, 400, {{"error", x.error().message}});
        finish_log(400, std::move(batch->inputs), std::nullopt, x.error().message);
        return 400;
    }
    std::vector<float> y;
    if (x->rows > 0) y = s.model->run(*x);
    const std::size_t k = std::size_t(s.model->outputs());
    nlohmann::json predictions = nlohmann::json::array();
    std::size_t next = 0;
    for (std::size_t r = 0; r < batch->frame.rows; ++r) {
        if (next < kept.size() && kept[next] == r)
            predictions.push_back(s.model->prediction(&y[next++ * k]));
        else
            predictions.push_back(nullptr); // dropped for a missing value (data.missing: drop)
    }
    srv.metrics.predicted(batch->frame.rows);
    respond_json(out, respond, 200, {{"predictions", predictions}});
    finish_log(200, std::move(batch->inputs), std::move(predictions), "");
    return 200;
}

void handle(void* user, const MlopsHttpRequest* req, MlopsHttpResponse* out, MlopsHttpRespond respond) {
    auto& srv = *static_cast<Server*>(user);
    auto start = Clock::now();
    srv.metrics.started();
    std::string_view path = req->path, method = req->method;
    int status = 500;
    auto s = srv.served();
    try {
        auto only = [&](std::string_view m) {
            if (method == m) return true;
            status = 405;
            respond_json(out, respond, status, {{"error", fmt::format("{} {}: method not allowed (use {})", method, path, m)}});
            return false;
        };
        if (path == "/invocations") {
            if (only("POST")) status = invocations(srv, *s, req, out, respond, start);
        } else if (path == "/ping" || path == "/health") {
            if (only("GET")) {
                status = 200;
                respond_json(out, respond, status, {{"status", "ok"}});
            }
        } else if (path == "/version") {
            if (only("GET")) {
                status = 200;
                respond_json(out, respond, status,
                             {{"model", s->name.empty() ? nlohmann::json(nullptr) : nlohmann::json(s->name)},
                              {"version", s->version > 0 ? nlohmann::json(s->version) : nlohmann::json(nullptr)},
                              {"oid", s->oid},
                              {"source", s->source.spec},
                              {"mlops", MLOPS_VERSION},
                              {"torch", srv.torch_api->torch_version}});
            }
        } else if (path == "/metrics") {
            if (only("GET")) {
                status = 200;
                std::string text = srv.metrics.render();
                respond(out, status, "text/plain; version=0.0.4", text.data(), text.size());
            }
        } else {
            status = 404;
            respond_json(out, respond, status,
                         {{"error", fmt::format("no endpoint {} (POST /invocations, GET /ping, /health, /version, /metrics)", path)}});
        }
    } catch (const std::exception& e) {
        status = 500;
        respond_json(out, respond, status, {{"error", e.what()}});
    }
    srv.metrics.finished(path, status, std::chrono::duration<double>(Clock::now() - start).count());
}

void on_http_error(void* user, const char* method, const char* path, int status) {
    auto& srv = *static_cast<Server*>(user);
    srv.metrics.rejected_early(path, status);
    if (srv.log && std::string_view(path) == "/invocations" && std::string_view(method) == "POST" && srv.log->sampled()) {
        serve::LogEntry e;
        e.time = std::chrono::system_clock::now();
        e.status = status;
        e.error = status == 413 ? "request body too large" : "bad request";
        write_log(srv, *srv.served(), std::move(e));
    }
}

const MlopsHttpApi* load_http(std::optional<util::Plugin>& holder) {
    if (!MLOPS_HAVE_HTTP)
        throw util::CommandError(util::Error::usage(
            "mlops was built without cpp-httplib: serve needs libmlops_http.so (install libcpp-httplib-dev and rebuild)"));
    holder.emplace(util::value_or_throw(util::Plugin::load(k_http_plugin_file, k_http_plugin_entry)));
    auto* api = static_cast<const MlopsHttpApi*>(holder->table());
    if (!api || api->version != k_http_api_version)
        throw util::CommandError(util::Error::usage(fmt::format("{}: interface version {}, this mlops needs {} (rebuild)",
                                                                holder->path(), api ? api->version : 0, k_http_api_version)));
    return api;
}

} // namespace

int run_serve(Context& ctx, const ServeOptions& opts) {
    if (opts.follow_alias && !registry::looks_like_model_ref(opts.model))
        throw util::CommandError(util::Error::usage("--follow-alias needs a model given as NAME@ALIAS"));
    std::signal(SIGPIPE, SIG_IGN); // a client that hangs up is an error on its socket, not the end of the server
    std::optional<util::Plugin> http_plugin;
    const MlopsHttpApi* http = load_http(http_plugin);
    TorchPlugin torch = load_torch();
    Server srv;
    srv.torch_api = torch.api;
    auto first = load_served(ctx, torch, opts);
    if (opts.follow_alias && first->source.alias.empty())
        throw util::CommandError(util::Error::usage("--follow-alias needs a model given as NAME@ALIAS"));
    srv.current = first;
    srv.metrics.set_model(first->name, first->version, first->oid);
    if (!opts.log.empty())
        srv.log = util::value_or_throw(serve::PredictionLog::open(
            {ctx.user_path(opts.log), opts.log_max_bytes, opts.log_keep, opts.log_sample}));

    // SIGTERM, SIGINT and SIGHUP are taken by this thread with sigtimedwait: blocked before the
    // worker threads start, so they inherit the mask and never run a handler mid-request.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    int timeout_ms = int(opts.timeout * 1000);
    MlopsHttpConfig cfg{opts.host.c_str(), opts.port, opts.threads, opts.max_body, timeout_ms, timeout_ms, 2000};
    void* server = nullptr;
    char err[1024] = "";
    if (http->create(&cfg, handle, on_http_error, &srv, &server, err, sizeof err) != 0)
        throw util::CommandError(util::Error::usage(err));
    std::atomic<bool> stopped{false};
    std::string run_error;
    std::thread runner([&] {
        char e[1024] = "";
        if (http->run(server, e, sizeof e) != 0) run_error = e;
        stopped = true;
    });
    const auto& f = *first;
    std::string what = f.name.empty() ? opts.model : fmt::format("{} version {}", f.name, f.version);
    if (ctx.global.json)
        ctx.print_json({{"url", fmt::format("http://{}:{}", opts.host, http->port(server))},
                        {"model", f.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.name)},
                        {"version", f.version > 0 ? nlohmann::json(f.version) : nlohmann::json(nullptr)},
                        {"oid", f.oid}});
    else
        ctx.err() << fmt::format("Serving {} ({}) on http://{}:{}\n", what, f.oid.substr(0, 12), opts.host, http->port(server));
    ctx.out().flush();
    ctx.err().flush();

    auto reload = [&](const char* why) {
        try {
            auto next = load_served(ctx, torch, opts);
            auto cur = srv.served();
            std::atomic_store(&srv.current, std::shared_ptr<const Served>(next));
            srv.metrics.set_model(next->name, next->version, next->oid);
            srv.metrics.reload(true);
            if (!ctx.global.quiet)
                ctx.err() << fmt::format("Reloaded ({}): {} -> {}\n", why, cur->oid.substr(0, 12), next->oid.substr(0, 12)) << std::flush;
        } catch (const util::CommandError& e) {
            srv.metrics.reload(false);
            ctx.err() << fmt::format("mlops: warning: reload ({}) failed, still serving the previous model: {}\n", why, e.what())
                      << std::flush;
        }
    };
    auto last_poll = Clock::now();
    int exit_code = 0;
    while (!stopped) {
        timespec wait{0, 200 * 1000 * 1000};
        int sig = sigtimedwait(&signals, nullptr, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            if (!ctx.global.quiet) ctx.err() << "Shutting down: finishing the requests in flight\n" << std::flush;
            http->stop(server);
            break;
        }
        if (sig == SIGHUP) reload("SIGHUP");
        if (opts.follow_alias && Clock::now() - last_poll >= std::chrono::duration<double>(opts.poll)) {
            last_poll = Clock::now();
            try {
                auto cur = srv.served();
                auto ref = util::value_or_throw(registry::parse_model_ref(opts.model));
                auto state = util::value_or_throw(registry::load_model(ctx.repo(), ref.name));
                const auto* v = util::value_or_throw(registry::resolve(state, ref));
                if (v->oid != cur->source.version->oid) reload(fmt::format("@{} moved to version {}", ref.alias, v->version).c_str());
            } catch (const util::CommandError& e) {
                ctx.err() << fmt::format("mlops: warning: --follow-alias: {}\n", e.what()) << std::flush;
            }
        }
    }
    runner.join();
    http->destroy(server);
    if (!run_error.empty()) throw util::CommandError(util::Error::io(run_error));
    if (!ctx.global.quiet && !ctx.global.json) ctx.err() << "Stopped\n";
    return exit_code;
}

Runner register_serve(CLI::App& app) {
    auto opts = std::make_shared<ServeOptions>();
    auto* cmd = app.add_subcommand("serve", "Serve a model over HTTP: MLflow's scoring API, health, metrics (docs/serving.md)");
    cmd->add_option("model", opts->model, "NAME@ALIAS, NAME:VERSION or a model bundle folder")->required()->type_name("MODEL");
    cmd->add_option("--host", opts->host, "Address to listen on (default 127.0.0.1)")->type_name("ADDR");
    cmd->add_option("--port", opts->port, "Port (default 8080; 0 picks a free one)")->type_name("PORT")->check(CLI::Range(0, 65535));
    cmd->add_option("--threads", opts->threads, "Worker threads, each serving one connection at a time (default 64)")
        ->type_name("N")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--max-body", opts->max_body, "Largest request body in bytes; larger ones get 413 (default 16 MiB)")
        ->type_name("BYTES")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--timeout", opts->timeout, "Seconds a client may stay silent while sending or receiving (default 10)")
        ->type_name("SECONDS")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--log", opts->log, "Append every prediction to FILE as JSON lines (the format mlops monitor reads)")->type_name("FILE");
    cmd->add_option("--log-max-bytes", opts->log_max_bytes, "Rotate the log (FILE -> FILE.1 ...) at this size (default 100 MiB)")
        ->type_name("BYTES")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--log-keep", opts->log_keep, "Rotated log files kept (default 5)")->type_name("N")->check(CLI::NonNegativeNumber);
    cmd->add_option("--log-sample", opts->log_sample, "Fraction of requests logged, 0 to 1 (default 1)")->type_name("RATE")->check(CLI::Range(0.0, 1.0));
    cmd->add_flag("--follow-alias", opts->follow_alias, "Reload when the alias of NAME@ALIAS moves (polls the registry)");
    cmd->add_option("--poll", opts->poll, "Seconds between registry polls with --follow-alias (default 5)")->type_name("SECONDS")->check(CLI::PositiveNumber);
    cmd->add_option("--require-signature", opts->require_signature, "Refuse a model without a valid signature by this public key")
        ->type_name("PUBKEY");
    return [opts](Context& ctx) { return run_serve(ctx, *opts); };
}

} // namespace mlops::cli
