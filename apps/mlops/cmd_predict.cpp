// mlops predict MODEL DATA.csv: batch inference, chunk by chunk, writing a CSV of predictions (and
// class probabilities) in input order.
#include "commands.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <mlops/ml/csv.hpp>
#include <mlops/util/fs.hpp>
#include <mlops/util/paths.hpp>

#include "ml_cli.hpp"

namespace mlops::cli {

struct PredictOptions {
    std::string model;
    std::string data;
    std::string out;
    std::size_t chunk_rows = 65536;
    int threads = 0;
};

namespace {

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

} // namespace

int run_predict(Context& ctx, const PredictOptions& opts) {
    ModelOnData in(ctx, model_dir(ctx, opts.model), opts.data, opts.threads);
    auto& [torch, model, reader, csv] = in;
    const auto& pre = model.preprocessor();
    const auto& enc = model.target();

    // Output: a temporary file renamed at the end (nothing is written on failure), or stdout.
    std::string dest = opts.out.empty() ? std::string() : user_path(ctx, opts.out);
    std::string tmp;
    util::UniqueFd fd;
    if (!dest.empty()) {
        std::string dir = util::parent_path(dest);
        tmp = util::temp_name_in(dir.empty() ? "." : dir);
        fd = util::UniqueFd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd) throw util::CommandError(util::Error::from_errno(dest, errno));
    }
    struct Cleanup {
        std::string path;
        ~Cleanup() {
            if (!path.empty()) ::unlink(path.c_str());
        }
    } cleanup{tmp};
    std::string buf;
    auto flush = [&](bool force) {
        if (!force && buf.size() < (1 << 20)) return;
        if (fd)
            util::check(util::write_all(fd.get(), buf.data(), buf.size(), dest));
        else
            ctx.out() << buf;
        buf.clear();
    };

    const bool classification = model.task() == ml::Task::classification;
    buf += "prediction";
    if (classification)
        for (const auto& c : enc.classes) buf += "," + csv_field("prob_" + c);
    buf += "\n";
    std::size_t rows = 0;
    const std::size_t k = std::size_t(model.outputs());
    while (!reader.done()) {
        auto frame = util::value_or_throw(reader.next(opts.chunk_rows, csv));
        frame.path = opts.data;
        if (frame.rows == 0) break;
        std::vector<std::size_t> kept;
        auto x = util::value_or_throw(pre.transform(frame, &kept));
        auto y = model.run(x);
        std::size_t next = 0;
        for (std::size_t r = 0; r < frame.rows; ++r) {
            if (next >= kept.size() || kept[next] != r) {
                // Dropped for a missing value (data.missing: drop): an empty prediction.
                buf += std::string(classification ? k : 0, ',') + "\n";
                continue;
            }
            const float* p = &y[next * k];
            if (classification) {
                buf += csv_field(enc.classes[model.best_class(p)]);
                for (std::size_t c = 0; c < k; ++c) buf += "," + float_text(p[c]);
            } else {
                buf += float_text(p[0]);
            }
            buf += "\n";
            ++next;
        }
        rows += frame.rows;
        flush(false);
    }
    if (rows == 0) throw util::CommandError(util::Error::usage(fmt::format("{}: no data rows (only a header line)", opts.data)));
    flush(true);
    if (fd) {
        if (::fsync(fd.get()) != 0) throw util::CommandError(util::Error::from_errno(dest, errno));
        fd.reset();
        if (::rename(tmp.c_str(), dest.c_str()) != 0) throw util::CommandError(util::Error::from_errno(dest, errno));
        cleanup.path.clear();
        if (ctx.global.json)
            ctx.print_json({{"model", opts.model}, {"data", opts.data}, {"output", opts.out}, {"rows", rows}});
        else
            ctx.err() << fmt::format("Wrote {} predictions to {}\n", rows, opts.out);
    }
    return 0;
}

Runner register_predict(CLI::App& app) {
    auto opts = std::make_shared<PredictOptions>();
    auto* cmd = app.add_subcommand("predict", "Batch predictions of a model on a CSV file (docs/training.md)");
    cmd->add_option("model", opts->model, "Model bundle folder (written by mlops train)")->required()->type_name("MODEL");
    cmd->add_option("data", opts->data, "CSV with the model's feature columns")->required()->type_name("DATA.csv");
    cmd->add_option("-o,--output", opts->out, "Write the predictions to FILE (default: stdout)")->type_name("FILE");
    cmd->add_option("--chunk-rows", opts->chunk_rows, "Rows read and predicted at a time (default 65536)")->type_name("N")->check(CLI::PositiveNumber);
    cmd->add_option("-j,--threads", opts->threads, "Inference threads (default: the model's train.threads)")->type_name("N")->check(CLI::PositiveNumber);
    return [opts](Context& ctx) { return run_predict(ctx, *opts); };
}

} // namespace mlops::cli
