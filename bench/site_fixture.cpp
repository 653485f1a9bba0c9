// bench/report_site.sh's fixture: records N runs in an mlops repository through the library, the
// way `mlops run` records them (a run record object, its log and output objects, then the index
// rows), without running N commands. Three stages, params and metrics that vary, twenty commits.
//
// usage: mlops_site_fixture REPO N
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include <mlops/pipeline/record.hpp>
#include <mlops/store/object_store.hpp>
#include <mlops/workspace/repository.hpp>

using namespace mlops;

// splitmix64: distinct, evenly spread ids without a random device (the fixture is the same every time).
static std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: mlops_site_fixture REPO N\n");
        return 2;
    }
    int n = std::atoi(argv[2]);
    auto repo = workspace::Repository::discover(argv[1]);
    if (!repo) {
        std::fprintf(stderr, "%s\n", repo.error().message.c_str());
        return 2;
    }
    auto& objects = (*repo)->objects();
    store::WriteBatch batch;
    auto put = [&](const std::string& content) {
        auto r = objects.put_bytes(content, &batch);
        if (!r) {
            std::fprintf(stderr, "%s\n", r.error().message.c_str());
            std::exit(6);
        }
        return r->oid;
    };
    std::string data_oid = put("date,value\n2026-01-01,1\n");
    const char* stages[] = {"prepare", "train", "evaluate"};
    std::vector<index::RunRow> rows;
    std::int64_t t0 = 1'790'000'000'000'000'000;
    for (int i = 0; i < n; ++i) {
        pipeline::RunRecord rec;
        rec.run_id = fmt::format("{:016x}", mix(std::uint64_t(i))); // random-looking, like mlops run's ids
        rec.stage = stages[i % 3];
        rec.pipeline = "mlops.yaml";
        rec.cmd = fmt::format("python3 {}.py --seed {}", rec.stage, i);
        rec.fingerprint = fmt::format("{:064x}", i);
        rec.deps["data/raw.csv"] = data_oid;
        double lr = 0.001 * (1 + i % 10);
        rec.params = {{"params.yaml", {{rec.stage, {{"lr", lr}, {"epochs", 5 + i % 7}, {"seed", i}}}}}};
        rec.outs.push_back({fmt::format("out/{}.bin", rec.stage), put(fmt::format("output of run {}\n", i)), "file", 20, 1, true});
        if (i % 3 != 0)
            rec.metrics = {{fmt::format("metrics/{}.json", rec.stage),
                            {{"accuracy", 0.7 + 0.25 * double(i) / n + 0.01 * (i % 5)}, {"loss", 1.0 - 0.5 * double(i) / n}, {"f1", 0.6 + 0.0001 * (i % 97)}}}};
        rec.code.commit = fmt::format("{:040x}", 0xc0de000 + i * 20 / std::max(n, 1));
        rec.host = "bench";
        rec.user = "bench";
        rec.tool_version = "bench";
        rec.started_ns = t0 + std::int64_t(i) * 60'000'000'000;
        rec.ended_ns = rec.started_ns + 1'000'000'000 + (i % 13) * 100'000'000;
        rec.status = i % 50 == 49 ? "failed" : "succeeded";
        rec.exit_status = rec.status == "failed" ? 1 : 0;
        rec.log_oid = put(fmt::format("[{}] epoch 1 loss {:.4f}\n[{}] done\n", rec.stage, 1.0 - 0.5 * double(i) / n, rec.stage));
        auto oid = put(pipeline::serialize_run_record(rec));
        rows.push_back(pipeline::run_row(rec, oid));
    }
    if (auto st = objects.commit(batch); !st) {
        std::fprintf(stderr, "%s\n", st.error().message.c_str());
        return 6;
    }
    auto index = (*repo)->index();
    if (!index) return 6;
    if (auto st = (*index)->insert_runs(rows); !st) {
        std::fprintf(stderr, "%s\n", st.error().message.c_str());
        return 6;
    }
    std::printf("%d runs recorded\n", n);
    return 0;
}
