// bench/train.sh's CSV side: loads a numeric CSV with mlops's reader (libmlops/ml/csv.cpp) and
// prints rows, columns, a checksum and the seconds the load took (process start-up not included).
#include <chrono>
#include <cstdio>

#include <mlops/ml/csv.hpp>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: mlops_csv_bench FILE.csv [THREADS]\n");
        return 2;
    }
    mlops::ml::CsvOptions opts;
    if (argc > 2) opts.threads = unsigned(std::atoi(argv[2]));
    auto t0 = std::chrono::steady_clock::now();
    auto f = mlops::ml::read_csv(argv[1], opts);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!f) {
        std::fprintf(stderr, "error: %s\n", f.error().message.c_str());
        return 2;
    }
    double sum = 0;
    for (const auto& c : f->columns)
        for (double v : c.numbers) sum += v;
    std::printf("%zu %zu %.6g %.4f\n", f->rows, f->columns.size(), sum, secs);
    return 0;
}
