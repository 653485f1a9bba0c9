#include <mlops/drift/stats.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include <mlops/drift/special.hpp>

namespace mlops::drift {

void Accumulator::add(double x) {
    double t = m_sum + x;
    if (!std::isfinite(t)) { // an infinite term: the compensation would turn it into NaN
        m_sum = t;
        m_comp = 0.0;
        return;
    }
    if (std::fabs(m_sum) >= std::fabs(x))
        m_comp += (m_sum - t) + x;
    else
        m_comp += (x - t) + m_sum;
    m_sum = t;
}

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// numpy's floor division of doubles (npy_divmod), used by scipy's exact Cramer-von Mises bound.
double floor_divide(double a, double b) {
    double mod = std::fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
    double floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
    return floordiv;
}

// scipy's _pval_cvm_2samp_exact: the share of the C(m + n, m) orderings whose statistic is at
// least s, counted by dynamic programming over lattice paths.
double cvm_exact_p(double s, std::int64_t m, std::int64_t n) {
    std::int64_t lcm = std::lcm(m, n), a = lcm / m, b = lcm / n, mn = m * n;
    double zeta = floor_divide(double(lcm * lcm * (m + n)) * (6 * s - double(mn * (4 * mn - 1))),
                               double(6 * mn * mn));
    using Counts = std::map<std::int64_t, double>;
    std::vector<Counts> gs(std::size_t(m + 1));
    gs[0][0] = 1;
    for (std::int64_t u = 0; u <= n; ++u) {
        std::vector<Counts> next(std::size_t(m + 1));
        Counts tmp;
        for (std::int64_t v = 0; v <= m; ++v) {
            for (const auto& [value, freq] : gs[std::size_t(v)]) tmp[value] += freq;
            std::int64_t shift = (a * v - b * u) * (a * v - b * u);
            Counts shifted;
            for (const auto& [value, freq] : tmp) shifted.emplace_hint(shifted.end(), value + shift, freq);
            tmp = std::move(shifted);
            next[std::size_t(v)] = tmp;
        }
        gs = std::move(next);
    }
    double combinations = 1.0;
    for (std::int64_t i = 1; i <= m; ++i) combinations = combinations * double(n + i) / double(i);
    combinations = std::round(combinations);
    double hits = 0.0;
    for (const auto& [value, freq] : gs[std::size_t(m)])
        if (double(value) >= zeta) hits += freq;
    return hits / combinations;
}

// scipy's _cdf_cvm_inf: the limiting distribution of the Cramer-von Mises statistic, summed until a
// term is below 1e-7 as scipy does.
double cvm_inf_cdf(double x) {
    const double pi15 = std::pow(M_PI, 1.5);
    double total = 0.0;
    for (int k = 0;; ++k) {
        double u = std::exp(std::lgamma(k + 0.5) - std::lgamma(k + 1.0)) / (pi15 * std::sqrt(x));
        double y = 4.0 * k + 1.0;
        double q = y * y / (16 * x);
        // exp(-q) K_{1/4}(q) = exp(-2q) kve(1/4, q)
        double z = u * std::sqrt(y) * std::exp(-2 * q) * bessel_k_scaled(0.25, q);
        total += z;
        if (!(std::fabs(z) >= 1e-7)) break;
    }
    return total;
}

// Least-squares quadratic through (x, y) (numpy.polyfit(x, y, 2)), evaluated at t.
double quadratic_fit_at(const double* x, const double* y, int n, double t) {
    long double s[5] = {0, 0, 0, 0, 0}, r[3] = {0, 0, 0};
    for (int i = 0; i < n; ++i) {
        long double p = 1;
        for (int k = 0; k < 5; ++k) {
            s[k] += p;
            if (k < 3) r[k] += p * y[i];
            p *= x[i];
        }
    }
    // Normal equations M c = r with M[i][j] = s[i + j], c = (c0, c1, c2) for c0 + c1 x + c2 x^2.
    long double M[3][4];
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) M[i][j] = s[i + j];
        M[i][3] = r[i];
    }
    for (int c = 0; c < 3; ++c) {
        int piv = c;
        for (int i = c + 1; i < 3; ++i)
            if (std::fabs(M[i][c]) > std::fabs(M[piv][c])) piv = i;
        std::swap(M[c], M[piv]);
        for (int i = 0; i < 3; ++i) {
            if (i == c) continue;
            long double f = M[i][c] / M[c][c];
            for (int j = c; j < 4; ++j) M[i][j] -= f * M[c][j];
        }
    }
    long double c0 = M[0][3] / M[0][0], c1 = M[1][3] / M[1][1], c2 = M[2][3] / M[2][2];
    return double(c0 + c1 * t + c2 * t * t);
}

} // namespace

TestValue ks_2samp(std::span<const double> a, std::span<const double> b) {
    TestValue r;
    if (a.empty() || b.empty()) return r;
    auto n1 = std::int64_t(a.size()), n2 = std::int64_t(b.size());
    double max_s = -std::numeric_limits<double>::infinity(), min_s = std::numeric_limits<double>::infinity();
    for_each_distinct(a, b, [&](double, std::size_t, std::size_t, std::size_t ia, std::size_t ib) {
        double diff = double(ia) / double(n1) - double(ib) / double(n2);
        max_s = std::max(max_s, diff);
        min_s = std::min(min_s, diff);
    });
    double min_abs = std::clamp(-min_s, 0.0, 1.0);
    double d = min_abs > max_s ? min_abs : max_s;
    if (std::max(n1, n2) <= 10000) {
        std::int64_t g = std::gcd(n1, n2);
        std::int64_t lcm = (n1 / g) * n2;
        auto h = std::int64_t(std::nearbyint(d * double(lcm)));
        double p = ks_2samp_exact_p(n1, n2, h);
        if (p >= 0) {
            r.statistic = double(h) * 1.0 / double(lcm);
            r.p_value = std::clamp(p, 0.0, 1.0);
            return r;
        }
        d = double(h) / double(lcm);
    }
    double m = double(std::max(n1, n2)), n = double(std::min(n1, n2));
    double en = m * n / (m + n);
    r.statistic = d;
    r.p_value = std::clamp(kolmogorov_sf(std::int64_t(std::nearbyint(en)), d), 0.0, 1.0);
    return r;
}

namespace {

// The area between the CDFs, fed one distinct value at a time with how many of a and of b are <= it.
class CdfArea {
  public:
    CdfArea(double na, double nb) : m_na(na), m_nb(nb) {}
    void add(double v, double below_a, double below_b) {
        if (!m_first) m_acc.add(m_prev_diff * (v - m_prev));
        m_first = false;
        m_prev = v;
        m_prev_diff = std::fabs(below_a / m_na - below_b / m_nb);
    }
    double value() const { return m_acc.value(); }

  private:
    double m_na, m_nb;
    Accumulator m_acc;
    bool m_first = true;
    double m_prev = 0, m_prev_diff = 0;
};

} // namespace

double wasserstein_distance(std::span<const double> a, std::span<const double> b) {
    if (a.empty() || b.empty()) return k_nan;
    CdfArea area(double(a.size()), double(b.size()));
    for_each_distinct(a, b, [&](double v, std::size_t, std::size_t, std::size_t ia, std::size_t ib) { area.add(v, double(ia), double(ib)); });
    return area.value();
}

double wasserstein_distance(std::span<const double> values, std::span<const double> count_a, std::span<const double> count_b) {
    double na = 0, nb = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        na += count_a[i];
        nb += count_b[i];
    }
    if (na == 0 || nb == 0) return k_nan;
    CdfArea area(na, nb);
    double below_a = 0, below_b = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        below_a += count_a[i];
        below_b += count_b[i];
        area.add(values[i], below_a, below_b);
    }
    return area.value();
}

TestValue anderson_ksamp(std::span<const double> a, std::span<const double> b) {
    TestValue r;
    double na = double(a.size()), nb = double(b.size()), N = na + nb;
    if (a.empty() || b.empty()) return r;
    std::size_t distinct = 0;
    for_each_distinct(a, b, [&](double, std::size_t, std::size_t, std::size_t, std::size_t) { ++distinct; });
    if (distinct < 2) return r;
    Accumulator sum_a, sum_b;
    std::size_t below = 0;
    for_each_distinct(a, b, [&](double, std::size_t ca, std::size_t cb, std::size_t ia, std::size_t ib) {
        double lj = double(ca + cb);
        double Bj = double(below) + lj / 2.0;
        double denom = Bj * (N - Bj) - N * lj / 4.0;
        double Ma = double(ia) - double(ca) / 2.0, Mb = double(ib) - double(cb) / 2.0;
        sum_a.add(lj / N * (N * Ma - Bj * na) * (N * Ma - Bj * na) / denom);
        sum_b.add(lj / N * (N * Mb - Bj * nb) * (N * Mb - Bj * nb) / denom);
        below += ca + cb;
    });
    double A2kN = 0.0 + sum_a.value() / na + sum_b.value() / nb;
    A2kN *= (N - 1.0) / N;
    const double k = 2.0;
    double H = 1.0 / na + 1.0 / nb;
    // hs_cs = cumsum(1 / [N-1, N-2, ..., 2]); h = hs_cs[-1] + 1; g = sum(hs_cs / [2, ..., N-1])
    auto Ni = std::int64_t(N);
    double hs = 0.0;
    Accumulator g_acc;
    for (std::int64_t j = 0; j < Ni - 2; ++j) {
        hs += 1.0 / double(Ni - 1 - j);
        g_acc.add(hs / double(j + 2));
    }
    double h = hs + 1, g = g_acc.value();
    double ca = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
    double cb = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
    double cc = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
    double cd = (2 * h + 6) * k * k - 4 * h * k;
    double sigmasq = (ca * N * N * N + cb * N * N + cc * N + cd) / ((N - 1.0) * (N - 2.0) * (N - 3.0));
    double m = k - 1;
    double A2 = (A2kN - m) / std::sqrt(sigmasq);
    static constexpr double b0[] = {0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085};
    static constexpr double b1[] = {-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615};
    static constexpr double b2[] = {-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154};
    static constexpr double sig[] = {0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001};
    double critical[7], log_sig[7];
    for (int i = 0; i < 7; ++i) {
        critical[i] = b0[i] + b1[i] / std::sqrt(m) + b2[i] / m;
        log_sig[i] = std::log(sig[i]);
    }
    r.statistic = A2;
    if (A2 < *std::min_element(critical, critical + 7))
        r.p_value = 0.25;
    else if (A2 > *std::max_element(critical, critical + 7))
        r.p_value = 0.001;
    else
        r.p_value = std::exp(quadratic_fit_at(critical, log_sig, 7, A2));
    return r;
}

TestValue cramervonmises_2samp(std::span<const double> a, std::span<const double> b) {
    TestValue r;
    if (a.size() <= 1 || b.size() <= 1) return r;
    double nx = double(a.size()), ny = double(b.size());
    // Midranks of the pooled sample, then U = nx sum (rx_i - i)^2 + ny sum (ry_j - j)^2.
    Accumulator ua, ub;
    std::size_t pooled_before = 0;
    for_each_distinct(a, b, [&](double, std::size_t ca, std::size_t cb, std::size_t ia, std::size_t ib) {
        double t = double(ca + cb);
        double rank = double(pooled_before) + 1.0 + (t - 1.0) / 2.0;
        for (std::size_t i = ia - ca; i < ia; ++i) ua.add((rank - double(i + 1)) * (rank - double(i + 1)));
        for (std::size_t j = ib - cb; j < ib; ++j) ub.add((rank - double(j + 1)) * (rank - double(j + 1)));
        pooled_before += ca + cb;
    });
    double u = nx * ua.value() + ny * ub.value();
    double k = nx * ny, N = nx + ny;
    double t = u / (k * N) - (4 * k - 1) / (6 * N);
    r.statistic = t;
    if (std::max(a.size(), b.size()) <= 20) {
        r.p_value = cvm_exact_p(u, std::int64_t(a.size()), std::int64_t(b.size()));
        return r;
    }
    double et = (1 + 1 / N) / 6;
    double vt = (N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k);
    vt = vt / (45 * N * N * 4 * k);
    double tn = 1.0 / 6 + (t - et) / std::sqrt(45 * vt);
    r.p_value = tn < 0.003 ? 1.0 : std::max(0.0, 1.0 - cvm_inf_cdf(tn));
    return r;
}

TestValue chisquare(std::span<const double> observed, std::span<const double> expected) {
    TestValue r;
    if (observed.size() != expected.size() || observed.empty()) return r;
    Accumulator acc;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        double d = observed[i] - expected[i];
        acc.add(d * d / expected[i]);
    }
    r.statistic = acc.value();
    if (std::isinf(r.statistic))
        r.p_value = 0.0;
    else
        r.p_value = chi2_sf(r.statistic, double(observed.size() - 1));
    return r;
}

TestValue proportions_z_test(double count_a, double n_a, double count_b, double n_b) {
    TestValue r;
    double p1 = count_a / n_a, p2 = count_b / n_b;
    double P = (p1 * n_a + p2 * n_b) / (n_a + n_b);
    double var = P * (1 - P) * (1.0 / n_a + 1.0 / n_b);
    if (!(var > 0)) {
        r.statistic = 0.0;
        r.p_value = 1.0;
        return r;
    }
    r.statistic = (p1 - p2) / std::sqrt(var);
    r.p_value = 2 * (1 - normal_cdf(std::fabs(r.statistic)));
    return r;
}

namespace {
double total(std::span<const double> v) {
    Accumulator acc;
    for (double x : v) acc.add(x);
    return acc.value();
}
double rel_entr(double x, double y) {
    if (x > 0 && y > 0) return x * std::log(x / y);
    if (x == 0 && y >= 0) return 0.0;
    return std::numeric_limits<double>::infinity();
}
} // namespace

double jensenshannon(std::span<const double> p, std::span<const double> q) {
    if (p.size() != q.size() || p.empty()) return k_nan;
    double sp = total(p), sq = total(q);
    Accumulator left, right;
    for (std::size_t i = 0; i < p.size(); ++i) {
        double pi = p[i] / sp, qi = q[i] / sq, m = (pi + qi) / 2.0;
        left.add(rel_entr(pi, m));
        right.add(rel_entr(qi, m));
    }
    double js = left.value() + right.value();
    return std::sqrt(js / 2.0);
}

double kl_divergence(std::span<const double> p, std::span<const double> q) {
    if (p.size() != q.size() || p.empty()) return k_nan;
    double sp = total(p), sq = total(q);
    Accumulator acc;
    for (std::size_t i = 0; i < p.size(); ++i) acc.add(rel_entr(p[i] / sp, q[i] / sq));
    return acc.value();
}

double psi(std::span<const double> p, std::span<const double> q) {
    if (p.size() != q.size() || p.empty()) return k_nan;
    Accumulator acc;
    for (std::size_t i = 0; i < p.size(); ++i) acc.add((p[i] - q[i]) * std::log(p[i] / q[i]));
    return acc.value();
}

double hellinger(std::span<const double> p, std::span<const double> q) {
    if (p.size() != q.size() || p.empty()) return k_nan;
    Accumulator acc;
    for (std::size_t i = 0; i < p.size(); ++i) {
        double d = std::sqrt(p[i]) - std::sqrt(q[i]);
        acc.add(d * d);
    }
    return std::sqrt(acc.value()) / std::sqrt(2.0);
}

} // namespace mlops::drift
