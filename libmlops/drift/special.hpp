// The distribution functions the drift tests need for their p-values, computed the way scipy 1.10
// computes them (same algorithms and the same switch points), so p-values agree to ~1e-12.
#pragma once

#include <cstdint>

namespace mlops::drift {

// Standard normal CDF (scipy.special.ndtr: erf near 0, erfc in the tails).
double normal_cdf(double x);

// Regularized upper incomplete gamma Q(a, x) (scipy.special.gammaincc: Cephes igamc, series or
// continued fraction).
double gamma_q(double a, double x);
// Survival function of the chi-square distribution (scipy.stats.chi2.sf = gammaincc(df/2, x/2)).
double chi2_sf(double x, double df);

// One-sided Smirnov survival function Pr(D+_n >= x) (scipy.special.smirnov), by the exact
// Birnbaum-Tingey sum.
double smirnov_sf(std::int64_t n, double x);

// Survival function of the two-sided one-sample Kolmogorov-Smirnov statistic D_n
// (scipy.stats.kstwo.sf: Simard and L'Ecuyer's choice of Ruben-Gambino, Durbin-Marsaglia-Tsang-Wang,
// Pomeranz, Smirnov and Pelz-Good by n and x, as scipy's _ksstats.py).
double kolmogorov_sf(std::int64_t n, double x);

// Exact two-sided p-value of the two-sample KS test with D = h / lcm(n1, n2) (scipy's
// _compute_prob_outside_square and _compute_outer_prob_inside_method). Negative when the
// computation fails (scipy then falls back to the asymptotic distribution).
double ks_2samp_exact_p(std::int64_t n1, std::int64_t n2, std::int64_t h);

// Modified Bessel function of the second kind K_nu(x) times exp(x), x > 0 (scipy.special.kve), by
// the trapezoidal rule on K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt, which converges
// geometrically for this integrand.
double bessel_k_scaled(double nu, double x);

} // namespace mlops::drift
