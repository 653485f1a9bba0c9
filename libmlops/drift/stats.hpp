// The statistics of drift detection as pure functions. Each gives what scipy 1.10 gives on the same
// input (same formulas, same choice of exact or asymptotic distribution); sums are compensated, so
// results agree with numpy's pairwise sums to ~1e-13 relative (tests/e2e/drift_test.sh checks 1e-9).
// Samples are NaN-free and sorted ascending: callers sort once and every test walks them.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

namespace mlops::drift {

struct TestValue {
    double statistic = std::numeric_limits<double>::quiet_NaN();
    double p_value = std::numeric_limits<double>::quiet_NaN();
};

// Neumaier-compensated sum (order-independent to a few ulps, like numpy's pairwise sum).
class Accumulator {
  public:
    void add(double x);
    double value() const { return std::isfinite(m_sum) ? m_sum + m_comp : m_sum; }

  private:
    double m_sum = 0.0, m_comp = 0.0;
};

// Walks the pooled sorted samples one distinct value at a time: fn(value, count in a, count in b,
// how many of a are <= value, how many of b are <= value).
template <class Fn> void for_each_distinct(std::span<const double> a, std::span<const double> b, Fn&& fn) {
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        double v = j >= b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
        std::size_t i0 = i, j0 = j;
        while (i < a.size() && a[i] == v) ++i;
        while (j < b.size() && b[j] == v) ++j;
        fn(v, i - i0, j - j0, i, j);
    }
}

// scipy.stats.ks_2samp(a, b) (two-sided, method='auto': exact when both sizes are <= 10000,
// otherwise kstwo.sf(D, round(n1 n2 / (n1 + n2))); in exact mode the statistic is h / lcm as scipy
// returns it).
TestValue ks_2samp(std::span<const double> a, std::span<const double> b);

// scipy.stats.wasserstein_distance(a, b): the area between the two empirical CDFs.
double wasserstein_distance(std::span<const double> a, std::span<const double> b);
// The same from the pooled distinct values (ascending) and how often each occurs in a and in b.
double wasserstein_distance(std::span<const double> values, std::span<const double> count_a, std::span<const double> count_b);

// scipy.stats.anderson_ksamp([a, b]) (midrank): statistic and the interpolated significance level,
// capped to [0.001, 0.25] as scipy does. Needs two distinct values in the pooled sample.
TestValue anderson_ksamp(std::span<const double> a, std::span<const double> b);

// scipy.stats.cramervonmises_2samp(a, b) (method='auto': exact when both sizes are <= 20).
// Needs at least two observations in each sample.
TestValue cramervonmises_2samp(std::span<const double> a, std::span<const double> b);

// scipy.stats.chisquare(observed, expected): Pearson's statistic and chi2.sf(stat, k - 1). An
// expected count of 0 with an observed count gives an infinite statistic and p = 0.
TestValue chisquare(std::span<const double> observed, std::span<const double> expected);

// Evidently's two-proportion Z-test: share of one value in a (count_a of n_a) and b, pooled
// standard error, two-sided p = 2 (1 - Phi(|z|)). Both constant and equal: z = 0, p = 1.
TestValue proportions_z_test(double count_a, double n_a, double count_b, double n_b);

// On frequency vectors of the same length (normalised by their sums where scipy does):
// scipy.spatial.distance.jensenshannon(p, q) (natural logarithm),
double jensenshannon(std::span<const double> p, std::span<const double> q);
// scipy.stats.entropy(p, q): Kullback-Leibler divergence of p from q (natural logarithm),
double kl_divergence(std::span<const double> p, std::span<const double> q);
// population stability index sum (p - q) ln(p / q) (Evidently's psi),
double psi(std::span<const double> p, std::span<const double> q);
// Hellinger distance sqrt(sum (sqrt p - sqrt q)^2) / sqrt 2 (Evidently's hellinger).
double hellinger(std::span<const double> p, std::span<const double> q);

} // namespace mlops::drift
