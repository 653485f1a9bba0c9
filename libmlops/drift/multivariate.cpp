#include <mlops/drift/multivariate.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include <mlops/drift/stats.hpp>
#include <mlops/util/parallel.hpp>

namespace mlops::drift {

void symmetric_eigen(std::vector<double> a, std::size_t n, std::vector<double>& values, std::vector<double>& vectors) {
    std::vector<double> v(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) v[i * n + i] = 1.0;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0;
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
        if (off < 1e-30) break;
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = p + 1; q < n; ++q) {
                double apq = a[p * n + q];
                if (std::fabs(apq) < 1e-300) continue;
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (std::size_t k = 0; k < n; ++k) { // columns p and q
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (std::size_t k = 0; k < n; ++k) { // rows p and q
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (std::size_t k = 0; k < n; ++k) {
                    double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x * n + x] > a[y * n + y]; });
    values.assign(n, 0.0);
    vectors.assign(n * n, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
        values[j] = a[order[j] * n + order[j]];
        for (std::size_t k = 0; k < n; ++k) vectors[k * n + j] = v[k * n + order[j]];
    }
}

namespace {

struct Pca {
    std::vector<const ColumnProfile*> ref_cols, cur_cols;
    std::vector<double> mean, scale;
    std::vector<double> basis; // p x k, row-major
    std::size_t p = 0, k = 0;

    // Standardised row (missing -> 0, the mean) and its distance to its projection.
    double error(const std::vector<const ColumnProfile*>& cols, std::size_t row, std::vector<double>& z,
                 std::vector<double>& y) const {
        for (std::size_t j = 0; j < p; ++j) {
            double x = cols[j]->values[row];
            z[j] = std::isnan(x) ? 0.0 : (x - mean[j]) / scale[j];
        }
        // The basis is orthonormal: |z - V V'z|^2 = |z|^2 - |V'z|^2.
        double zz = 0;
        for (std::size_t j = 0; j < p; ++j) zz += z[j] * z[j];
        double yy = 0;
        for (std::size_t c = 0; c < k; ++c) {
            double s = 0;
            for (std::size_t j = 0; j < p; ++j) s += basis[j * k + c] * z[j];
            y[c] = s;
            yy += s * s;
        }
        return std::sqrt(std::max(zz - yy, 0.0));
    }
};

// Splits [0, rows) into `count` runs whose sizes differ by at most one.
std::vector<Chunk> split(std::size_t rows, std::size_t count) {
    std::vector<Chunk> out;
    count = std::max<std::size_t>(1, std::min(count, rows));
    std::size_t start = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::size_t n = rows / count + (i < rows % count ? 1 : 0);
        out.push_back({start, n, 0.0, false});
        start += n;
    }
    return out;
}

void chunk_errors(const Pca& pca, const std::vector<const ColumnProfile*>& cols, std::vector<Chunk>& chunks, unsigned threads) {
    (void)util::parallel_for(chunks.size(), threads, [&](std::size_t i) -> util::Status {
        std::vector<double> z(pca.p), y(pca.k);
        double sum = 0; // chunk means are compared at a precision far coarser than this sum's
        for (std::size_t r = chunks[i].first_row; r < chunks[i].first_row + chunks[i].rows; ++r)
            sum += pca.error(cols, r, z, y);
        chunks[i].error = sum / double(chunks[i].rows);
        return {};
    });
}

} // namespace

MultivariateResult reconstruction_drift(const DatasetProfile& ref, const DatasetProfile& cur,
                                        const std::vector<std::string>& columns, std::size_t chunks,
                                        unsigned threads) {
    MultivariateResult m;
    m.variance_target = k_pca_variance;
    Pca pca;
    for (const auto& name : columns) {
        const auto* a = ref.find(name);
        const auto* b = cur.find(name);
        if (!a || !b || a->type != ColumnType::numeric || a->present() < 2) continue;
        // Plain sums: standardising needs no more than double precision.
        double s = 0;
        for (double x : a->values)
            if (!std::isnan(x)) s += x;
        double mean = s / double(a->present());
        double d = 0;
        for (double x : a->values)
            if (!std::isnan(x)) d += (x - mean) * (x - mean);
        double sd = std::sqrt(d / double(a->present()));
        if (!(sd > 0)) continue; // a constant column carries no variance
        pca.ref_cols.push_back(a);
        pca.cur_cols.push_back(b);
        pca.mean.push_back(mean);
        pca.scale.push_back(sd);
        m.columns.push_back(name);
    }
    pca.p = m.columns.size();
    if (pca.p < 2) {
        m.note = "needs at least 2 numeric columns that vary in the reference";
        return m;
    }
    if (ref.rows < 2 * chunks || cur.rows < 1) {
        m.note = fmt::format("needs at least {} reference rows", 2 * chunks);
        return m;
    }
    // Covariance of the standardised reference rows, accumulated in parallel over row ranges.
    const std::size_t p = pca.p;
    auto ranges = split(ref.rows, std::max<unsigned>(1, threads ? threads : util::default_jobs()) * 4);
    std::vector<std::vector<double>> partial(ranges.size(), std::vector<double>(p * p, 0.0));
    (void)util::parallel_for(ranges.size(), threads, [&](std::size_t i) -> util::Status {
        std::vector<double> z(p);
        auto& cov = partial[i];
        for (std::size_t r = ranges[i].first_row; r < ranges[i].first_row + ranges[i].rows; ++r) {
            for (std::size_t j = 0; j < p; ++j) {
                double x = pca.ref_cols[j]->values[r];
                z[j] = std::isnan(x) ? 0.0 : (x - pca.mean[j]) / pca.scale[j];
            }
            for (std::size_t a = 0; a < p; ++a)
                for (std::size_t b = a; b < p; ++b) cov[a * p + b] += z[a] * z[b];
        }
        return {};
    });
    std::vector<double> cov(p * p, 0.0);
    for (const auto& part : partial)
        for (std::size_t i = 0; i < p * p; ++i) cov[i] += part[i];
    for (std::size_t a = 0; a < p; ++a)
        for (std::size_t b = a; b < p; ++b) {
            cov[a * p + b] /= double(ref.rows);
            cov[b * p + a] = cov[a * p + b];
        }
    std::vector<double> values, vectors;
    symmetric_eigen(cov, p, values, vectors);
    double total = 0;
    for (double v : values) total += std::max(v, 0.0);
    double kept = 0;
    std::size_t k = 0;
    while (k < p && (k == 0 || kept / total < k_pca_variance)) kept += std::max(values[k++], 0.0);
    pca.k = k;
    pca.basis.assign(p * k, 0.0);
    for (std::size_t j = 0; j < p; ++j)
        for (std::size_t c = 0; c < k; ++c) pca.basis[j * k + c] = vectors[j * p + c];
    m.components = k;
    m.variance_explained = total > 0 ? kept / total : 0.0;

    m.reference_chunks = split(ref.rows, chunks);
    m.chunk_rows = m.reference_chunks.front().rows;
    std::size_t cur_count = std::max<std::size_t>(1, std::size_t(std::llround(double(cur.rows) / double(m.chunk_rows))));
    m.current_chunks = split(cur.rows, cur_count);
    chunk_errors(pca, pca.ref_cols, m.reference_chunks, threads);
    chunk_errors(pca, pca.cur_cols, m.current_chunks, threads);
    Accumulator s;
    for (const auto& c : m.reference_chunks) s.add(c.error);
    m.reference_mean = s.value() / double(m.reference_chunks.size());
    Accumulator d;
    for (const auto& c : m.reference_chunks) d.add((c.error - m.reference_mean) * (c.error - m.reference_mean));
    m.reference_std = std::sqrt(d.value() / double(m.reference_chunks.size()));
    m.lower = m.reference_mean - 3 * m.reference_std;
    m.upper = m.reference_mean + 3 * m.reference_std;
    Accumulator all;
    for (const auto& c : m.current_chunks) {
        all.add(c.error * double(c.rows));
    }
    m.current_error = all.value() / double(cur.rows);
    for (auto& c : m.current_chunks) {
        c.alert = c.error < m.lower || c.error > m.upper;
        if (c.alert) ++m.alerts;
    }
    m.drifted = m.alerts > 0;
    m.computed = true;
    return m;
}

} // namespace mlops::drift
