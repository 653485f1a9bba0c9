// mlops export MODEL --format docker|k8s -o DIR: what it takes to run `mlops serve` on a model
// elsewhere (docs/serving.md, "Export"). docker: a Dockerfile on Debian 12 with the runtime packages,
// this mlops and its plugins, the model bundle (and its signature), HEALTHCHECK on /health. k8s: a
// Deployment (probes on /health, resource requests, Prometheus scrape annotations), a Service and a
// HorizontalPodAutoscaler.
#include "commands.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>

#include <mlops/ml/bundle.hpp>
#include <mlops/serve/http_api.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>
#include <mlops/util/plugin.hpp>

#include "signing_cli.hpp"

namespace mlops::cli {

struct ExportOptions {
    std::string model;
    std::string format;
    std::string out;
    std::string image;
    std::string require_signature;
    int port = 8080;
    int replicas = 2;
    int max_replicas = 10;
    int cpu_target = 70;
    std::string cpu = "500m";
    std::string memory = "512Mi";
    std::string cpu_limit = "2";
    std::string memory_limit = "2Gi";
    bool force = false;
};

namespace {

namespace fs = std::filesystem;

// Debian 12 packages the exported mlops needs at run time (libstdc++ comes with the base image).
constexpr const char* k_runtime_packages = "libtorch1.13 libcpp-httplib0.11 libfmt9 curl ca-certificates";
constexpr const char* k_model_path = "/opt/mlops/model";

std::string app_name(const ResolvedModel& m) {
    std::string n = m.version ? m.version->name : util::file_name(m.dir);
    std::string out;
    for (char c : n) out += std::isalnum((unsigned char)c) ? char(std::tolower((unsigned char)c)) : '-';
    while (!out.empty() && out.front() == '-') out.erase(0, 1);
    return "mlops-" + (out.empty() ? std::string("model") : out);
}

void write_text(const std::string& path, const std::string& text, unsigned mode = 0644) {
    util::check(util::write_file_atomic(path, text, util::Durability::none, mode));
}

void copy_file(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw util::CommandError(util::Error::io(fmt::format("cannot copy {} to {}: {}", from, to, ec.message())));
}

void copy_tree(const std::string& from, const std::string& to) {
    std::error_code ec;
    fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec) throw util::CommandError(util::Error::io(fmt::format("cannot copy {} to {}: {}", from, to, ec.message())));
}

// The serve command line the container runs.
std::vector<std::string> serve_args(const ExportOptions& opts, bool signed_required) {
    std::vector<std::string> args{"mlops", "serve", k_model_path, "--host", "0.0.0.0", "--port", std::to_string(opts.port)};
    if (signed_required) {
        args.push_back("--require-signature");
        args.push_back("/opt/mlops/signing.pub.pem");
    }
    return args;
}

std::string dockerfile(const ResolvedModel& m, const std::string& oid, const ExportOptions& opts, bool has_signature, bool signed_required) {
    std::string label = m.version ? fmt::format("{} version {}", m.version->name, m.version->version) : m.spec;
    std::string cmd;
    for (const auto& a : serve_args(opts, signed_required)) cmd += (cmd.empty() ? "" : ", ") + nlohmann::json(a).dump();
    std::string out = fmt::format(R"(# Written by `mlops export --format docker` for model {label} (oid {oid}).
# Build: docker build -t {image} .    Run: docker run -p {port}:{port} {image}
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends {packages} \
 && rm -rf /var/lib/apt/lists/*
COPY mlops/bin/mlops /usr/local/bin/mlops
COPY mlops/lib/ /usr/local/lib/mlops/
COPY model/ {model}/
)",
                                  fmt::arg("label", label), fmt::arg("oid", oid), fmt::arg("image", opts.image), fmt::arg("port", opts.port),
                                  fmt::arg("packages", k_runtime_packages), fmt::arg("model", k_model_path));
    if (has_signature) out += fmt::format("COPY model.sig.json {}.sig.json\n", k_model_path);
    if (signed_required) out += "COPY signing.pub.pem /opt/mlops/signing.pub.pem\n";
    out += fmt::format(R"(LABEL org.opencontainers.image.title="{app}" io.mlops.model="{name}" io.mlops.version="{version}" io.mlops.oid="{oid}"
USER 65534:65534
EXPOSE {port}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD curl -fsS http://127.0.0.1:{port}/health || exit 1
STOPSIGNAL SIGTERM
CMD [{cmd}]
)",
                       fmt::arg("app", app_name(m)), fmt::arg("name", m.version ? m.version->name : ""),
                       fmt::arg("version", m.version ? std::to_string(m.version->version) : ""), fmt::arg("oid", oid),
                       fmt::arg("port", opts.port), fmt::arg("cmd", cmd));
    return out;
}

using Doc = nlohmann::ordered_json;

// YAML for a JSON document, block style: every string double-quoted (JSON escapes are YAML escapes),
// so "true" and "8080" stay strings, as Kubernetes wants for annotations.
void emit_yaml(std::string& out, const Doc& j, int indent) {
    std::string pad(std::size_t(indent), ' ');
    auto scalar = [](const Doc& v) { return v.dump(); };
    auto key = [](const std::string& k) {
        bool plain = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) { return std::isalnum((unsigned char)c) || c == '.' || c == '/' || c == '_' || c == '-'; });
        return plain ? k : Doc(k).dump();
    };
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            const Doc& v = it.value();
            if ((v.is_object() || v.is_array()) && !v.empty()) {
                out += pad + key(it.key()) + ":\n";
                emit_yaml(out, v, v.is_array() ? indent : indent + 2);
            } else {
                out += pad + key(it.key()) + ": " + (v.is_object() ? "{}" : v.is_array() ? "[]" : scalar(v)) + "\n";
            }
        }
    } else if (j.is_array()) {
        for (const auto& v : j) {
            if (v.is_object() && !v.empty()) {
                std::string item;
                emit_yaml(item, v, indent + 2);
                out += pad + "- " + item.substr(std::size_t(indent) + 2);
            } else {
                out += pad + "- " + scalar(v) + "\n";
            }
        }
    } else {
        out += pad + scalar(j) + "\n";
    }
}

std::string yaml_text(const Doc& j) {
    std::string out;
    emit_yaml(out, j, 0);
    return out;
}

Doc labels(const std::string& app) { return {{"app.kubernetes.io/name", app}, {"app.kubernetes.io/managed-by", "mlops"}}; }

Doc probe(int port, int delay, int period) {
    return {{"httpGet", {{"path", "/health"}, {"port", port}}},
            {"initialDelaySeconds", delay},
            {"periodSeconds", period},
            {"timeoutSeconds", 2},
            {"failureThreshold", 3}};
}

void write_k8s(const std::string& dir, const ResolvedModel& m, const std::string& oid, const ExportOptions& opts, bool signed_required) {
    std::string app = app_name(m);
    Doc annotations = Doc::object();
    if (m.version) {
        annotations["mlops.io/model"] = m.version->name;
        annotations["mlops.io/version"] = std::to_string(m.version->version);
    }
    annotations["mlops.io/oid"] = oid;
    Doc container = {
        {"name", "serve"},
        {"image", opts.image},
        {"args", serve_args(opts, signed_required)},
        {"ports", Doc::array({{{"name", "http"}, {"containerPort", opts.port}}})},
        {"readinessProbe", probe(opts.port, 2, 5)},
        {"livenessProbe", probe(opts.port, 15, 10)},
        {"resources", {{"requests", {{"cpu", opts.cpu}, {"memory", opts.memory}}}, {"limits", {{"cpu", opts.cpu_limit}, {"memory", opts.memory_limit}}}}},
        {"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 65534}, {"readOnlyRootFilesystem", true}, {"allowPrivilegeEscalation", false}}},
    };
    Doc dep = {
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", {{"name", app}, {"labels", labels(app)}, {"annotations", annotations}}},
        {"spec",
         {{"replicas", opts.replicas},
          {"selector", {{"matchLabels", {{"app.kubernetes.io/name", app}}}}},
          {"template",
           {{"metadata",
             {{"labels", labels(app)},
              {"annotations", {{"prometheus.io/scrape", "true"}, {"prometheus.io/port", std::to_string(opts.port)}, {"prometheus.io/path", "/metrics"}}}}},
            {"spec", {{"terminationGracePeriodSeconds", 30}, {"containers", Doc::array({container})}}}}}}},
    };
    write_text(util::join_path(dir, "deployment.yaml"), yaml_text(dep));

    Doc svc = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata", {{"name", app}, {"labels", labels(app)}}},
        {"spec",
         {{"selector", {{"app.kubernetes.io/name", app}}},
          {"ports", Doc::array({{{"name", "http"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}}})}}},
    };
    write_text(util::join_path(dir, "service.yaml"), yaml_text(svc));

    Doc hpa = {
        {"apiVersion", "autoscaling/v2"},
        {"kind", "HorizontalPodAutoscaler"},
        {"metadata", {{"name", app}, {"labels", labels(app)}}},
        {"spec",
         {{"scaleTargetRef", {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", app}}},
          {"minReplicas", opts.replicas},
          {"maxReplicas", opts.max_replicas},
          {"metrics",
           Doc::array({{{"type", "Resource"},
                        {"resource", {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", opts.cpu_target}}}}}}})}}},
    };
    write_text(util::join_path(dir, "hpa.yaml"), yaml_text(hpa));
}

} // namespace

int run_export(Context& ctx, ExportOptions opts) {
    if (opts.format != "docker" && opts.format != "k8s")
        throw util::CommandError(util::Error::usage(fmt::format("--format '{}': expected docker or k8s", opts.format)));
    if (opts.max_replicas < opts.replicas)
        throw util::CommandError(util::Error::usage(fmt::format("--max-replicas {} is below --replicas {}", opts.max_replicas, opts.replicas)));
    auto m = resolve_model(ctx, opts.model);
    util::value_or_throw(ml::open_bundle(m.dir)); // an intact bundle, or exit 3
    std::optional<signing::Signature> sig;
    if (!opts.require_signature.empty())
        sig = require_signature(ctx, m, opts.require_signature);
    std::string oid = m.version ? m.version->model_oid : signing::tree_oid(util::value_or_throw(signing::digest_folder(m.dir)));
    if (opts.image.empty())
        opts.image = m.version ? fmt::format("{}:{}", app_name(m), m.version->version) : app_name(m) + ":latest";

    std::string dir = ctx.user_path(opts.out);
    util::check(util::make_dirs(dir));
    std::vector<std::string> written;
    if (opts.format == "docker") {
        for (const char* sub : {"model", "mlops"}) {
            std::string p = util::join_path(dir, sub);
            if (util::value_or_throw(util::stat_path(p))) {
                if (!opts.force) throw util::CommandError(util::Error::usage(fmt::format("{}: already exists (--force replaces it)", p)));
                fs::remove_all(p);
            }
        }
        copy_tree(m.dir, util::join_path(dir, "model"));
        written.push_back("model/");
        // The signature travels with the image when there is one: the one checked, else the latest.
        if (!sig && m.version) {
            auto all = util::value_or_throw(registry::signatures(ctx.repo(), *m.version));
            if (!all.empty()) sig = all.back();
        } else if (!sig) {
            std::string f = signature_file_of(m.dir);
            if (util::value_or_throw(util::stat_path(f))) sig = util::value_or_throw(signing::parse(util::value_or_throw(util::read_file(f)), f));
        }
        if (sig) {
            write_text(util::join_path(dir, "model.sig.json"), signing::serialize(*sig));
            written.push_back("model.sig.json");
        }
        if (!opts.require_signature.empty()) {
            copy_file(ctx.user_path(opts.require_signature), util::join_path(dir, "signing.pub.pem"));
            written.push_back("signing.pub.pem");
        }
        // This mlops and its plugins, as installed in the image (bin/ and lib/mlops/).
        util::check(util::make_dirs(util::join_path(dir, "mlops/bin")));
        util::check(util::make_dirs(util::join_path(dir, "mlops/lib")));
        copy_file(util::join_path(util::executable_dir(), "mlops"), util::join_path(dir, "mlops/bin/mlops"));
        for (const char* plugin : {k_torch_plugin_file, k_http_plugin_file}) {
            auto p = util::Plugin::find(plugin);
            if (!p) throw util::CommandError(util::Error::usage(fmt::format("cannot find {} to put in the image (was mlops built with it?)", plugin)));
            copy_file(*p, util::join_path(dir, std::string("mlops/lib/") + plugin));
        }
        written.push_back("mlops/");
        write_text(util::join_path(dir, "Dockerfile"), dockerfile(m, oid, opts, sig.has_value(), !opts.require_signature.empty()));
        written.push_back("Dockerfile");
    } else {
        write_k8s(dir, m, oid, opts, !opts.require_signature.empty());
        written = {"deployment.yaml", "service.yaml", "hpa.yaml"};
    }
    if (ctx.global.json)
        ctx.print_json({{"format", opts.format}, {"output", opts.out}, {"files", written}, {"image", opts.image}, {"oid", oid},
                        {"signed", sig.has_value()}});
    else
        ctx.say(fmt::format("Wrote {} in {} for {} (image {})", fmt::join(written, ", "), opts.out, model_label(m), opts.image));
    return 0;
}

Runner register_export(CLI::App& app) {
    auto opts = std::make_shared<ExportOptions>();
    auto* cmd = app.add_subcommand("export", "Write a Dockerfile or Kubernetes manifests that serve a model (docs/serving.md)");
    cmd->add_option("model", opts->model, "NAME@ALIAS, NAME:VERSION or a model bundle folder")->required()->type_name("MODEL");
    cmd->add_option("--format", opts->format, "docker or k8s")->required()->type_name("FORMAT");
    cmd->add_option("-o,--output", opts->out, "Folder to write into")->required()->type_name("DIR");
    cmd->add_option("--image", opts->image, "Image name (default mlops-NAME:VERSION)")->type_name("IMAGE");
    cmd->add_option("--port", opts->port, "Port the server listens on (default 8080)")->type_name("PORT")->check(CLI::Range(1, 65535));
    cmd->add_option("--replicas", opts->replicas, "k8s: replicas, and the autoscaler's minimum (default 2)")->type_name("N")->check(CLI::PositiveNumber);
    cmd->add_option("--max-replicas", opts->max_replicas, "k8s: the autoscaler's maximum (default 10)")->type_name("N")->check(CLI::PositiveNumber);
    cmd->add_option("--cpu-target", opts->cpu_target, "k8s: average CPU utilisation the autoscaler aims at, % (default 70)")
        ->type_name("PERCENT")
        ->check(CLI::Range(1, 100));
    cmd->add_option("--cpu", opts->cpu, "k8s: CPU request (default 500m)")->type_name("CPU");
    cmd->add_option("--memory", opts->memory, "k8s: memory request (default 512Mi)")->type_name("MEM");
    cmd->add_option("--cpu-limit", opts->cpu_limit, "k8s: CPU limit (default 2)")->type_name("CPU");
    cmd->add_option("--memory-limit", opts->memory_limit, "k8s: memory limit (default 2Gi)")->type_name("MEM");
    cmd->add_option("--require-signature", opts->require_signature,
                    "Refuse a model without a valid signature by this public key; the container checks it again at start")
        ->type_name("PUBKEY");
    cmd->add_flag("--force", opts->force, "docker: replace model/ and mlops/ in DIR");
    return [opts](Context& ctx) { return run_export(ctx, *opts); };
}

} // namespace mlops::cli
