#include <mlops/drift/special.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

namespace mlops::drift {

namespace {

constexpr double k_machep = 1.11022302462515654042e-16; // 2^-53, Cephes' MACHEP
constexpr double k_big = 4.503599627370496e15;
constexpr double k_biginv = 2.22044604925031308085e-16;
constexpr int k_max_iter = 2000;
constexpr double k_max_log = 7.09782712893383996843e2;
constexpr double k_pi = std::numbers::pi;

// exp(a log x - x - lgamma(a)), the factor in front of both incomplete gamma expansions.
double igam_fac(double a, double x) {
    double ax = a * std::log(x) - x - std::lgamma(a);
    if (ax < -k_max_log) return 0.0;
    return std::exp(ax);
}

// Lower regularized incomplete gamma P(a, x) by its power series (x < a or small x).
double igam_series(double a, double x) {
    double ax = igam_fac(a, x);
    if (ax == 0.0) return 0.0;
    double r = a, c = 1.0, ans = 1.0;
    for (int i = 0; i < k_max_iter; ++i) {
        r += 1.0;
        c *= x / r;
        ans += c;
        if (c <= k_machep * ans) break;
    }
    return ans * ax / a;
}

// Upper Q(a, x) by its continued fraction (x > 1.1 and x >= a).
double igamc_continued_fraction(double a, double x) {
    double ax = igam_fac(a, x);
    if (ax == 0.0) return 0.0;
    double y = 1.0 - a, z = x + y + 1.0, c = 0.0;
    double pkm2 = 1.0, qkm2 = x, pkm1 = x + 1.0, qkm1 = z * x;
    double ans = pkm1 / qkm1;
    for (int i = 0; i < k_max_iter; ++i) {
        c += 1.0;
        y += 1.0;
        z += 2.0;
        double yc = y * c;
        double pk = pkm1 * z - pkm2 * yc;
        double qk = qkm1 * z - qkm2 * yc;
        double t = 1.0;
        if (qk != 0) {
            double r = pk / qk;
            t = std::fabs((ans - r) / r);
            ans = r;
        }
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;
        if (std::fabs(pk) > k_big) {
            pkm2 *= k_biginv;
            pkm1 *= k_biginv;
            qkm2 *= k_biginv;
            qkm1 *= k_biginv;
        }
        if (t <= k_machep) break;
    }
    return ans * ax;
}

// Upper Q(a, x) by the series for small x (x <= 1.1).
double igamc_series(double a, double x) {
    double fac = 1.0, sum = 0.0;
    for (int n = 1; n < k_max_iter; ++n) {
        fac *= -x / n;
        double term = fac / (a + n);
        sum += term;
        if (std::fabs(term) <= k_machep * std::fabs(sum)) break;
    }
    double logx = std::log(x);
    double term = -std::expm1(a * logx - std::lgamma(1.0 + a));
    return term - std::exp(a * logx - std::lgamma(a)) * sum;
}

double clip01(double p) { return std::clamp(p, 0.0, 1.0); }

// log(n! / n^n) by Stirling's series (scipy's _log_nfactorial_div_n_pow_n).
double log_nfactorial_div_n_pow_n(double n) {
    static constexpr double k_coeffs[] = {
        -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
        8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
        -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    double rn = 1.0 / n, t = rn / n, poly = 0.0;
    for (double c : k_coeffs) poly = poly * t + c;
    return std::log(n) / 2 - n + std::log(2 * k_pi) / 2 + rn * poly;
}

const long double k_ep128 = std::ldexp(1.0L, 128);
const long double k_em128 = std::ldexp(1.0L, -128);

using Matrix = std::vector<double>; // row-major m x m

Matrix matmul(const Matrix& a, const Matrix& b, int m) {
    Matrix c(std::size_t(m) * m, 0.0);
    for (int i = 0; i < m; ++i)
        for (int k = 0; k < m; ++k) {
            double aik = a[std::size_t(i) * m + k];
            if (aik == 0.0) continue;
            for (int j = 0; j < m; ++j) c[std::size_t(i) * m + j] += aik * b[std::size_t(k) * m + j];
        }
    return c;
}

// Pr(D_n <= d) by the Durbin matrix (Marsaglia, Tsang and Wang).
double kolmogn_dmtw_cdf(std::int64_t n, double d) {
    if (d >= 1.0) return 1.0;
    double nd = double(n) * d;
    if (nd <= 0.5) return 0.0;
    int k = int(std::ceil(nd));
    double h = k - nd;
    int m = 2 * k - 1;
    std::vector<double> v(m), w(m);
    double fac = 1.0;
    for (int j = 1; j <= m; ++j) {
        w[j - 1] = fac;
        fac /= j;
        v[j - 1] = (1.0 - std::pow(h, j)) * fac;
    }
    double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;
    Matrix H(std::size_t(m) * m, 0.0);
    for (int i = 1; i < m; ++i)
        for (int r = i - 1; r < m; ++r) H[std::size_t(r) * m + i] = w[r - (i - 1)];
    for (int r = 0; r < m; ++r) H[std::size_t(r) * m] = v[r];
    for (int c = 0; c < m; ++c) H[std::size_t(m - 1) * m + c] = v[m - 1 - c];
    Matrix P(std::size_t(m) * m, 0.0);
    for (int i = 0; i < m; ++i) P[std::size_t(i) * m + i] = 1.0;
    long expnt = 0, hexpnt = 0;
    for (std::int64_t nn = n; nn > 0; nn /= 2) {
        if (nn % 2) {
            P = matmul(P, H, m);
            expnt += hexpnt;
        }
        H = matmul(H, H, m);
        hexpnt *= 2;
        if (std::fabs(H[std::size_t(k - 1) * m + (k - 1)]) > k_ep128) {
            for (auto& x : H) x = double(x / k_ep128);
            hexpnt += 128;
        }
    }
    long double p = P[std::size_t(k - 1) * m + (k - 1)];
    for (std::int64_t i = 1; i <= n; ++i) {
        p = i * p / n;
        if (std::fabs(p) < k_em128) {
            p *= k_ep128;
            expnt -= 128;
        }
    }
    if (expnt != 0) p = std::ldexp(p, int(expnt));
    return clip01(double(p));
}

void pomeranz_j1j2(std::int64_t i, std::int64_t n, std::int64_t ll, int ceilf, int roundf,
                   std::int64_t& j1, std::int64_t& j2) {
    if (i == 0) {
        j1 = -ll - ceilf - 1;
        j2 = ll + ceilf - 1;
    } else {
        std::int64_t half = (i + 1) / 2;
        if ((i + 1) % 2 == 0) {
            if (half == n + 1) {
                j1 = n - ll - ceilf - 1;
                j2 = n + ll + ceilf - 1;
            } else {
                j1 = half - 1 - ll - roundf - 1;
                j2 = half + ll - 1 + ceilf - 1;
            }
        } else {
            j1 = half - 1 - ll - 1;
            j2 = half + ll + roundf - 1;
        }
    }
    j1 = std::max<std::int64_t>(j1 + 2, 0);
    j2 = std::min(j2, n);
}

// Pr(D_n <= x) by Pomeranz's recursion.
double kolmogn_pomeranz_cdf(std::int64_t n, double x) {
    double t = double(n) * x;
    auto ll = std::int64_t(std::floor(t));
    double f = t - double(ll);
    double g = std::min(f, 1.0 - f);
    int ceilf = f > 0 ? 1 : 0, roundf = f > 0.5 ? 1 : 0;
    std::size_t npwrs = std::size_t(2 * (ll + 1));
    std::vector<double> gpower(npwrs), twogpower(npwrs), onem2gpower(npwrs);
    gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
    double g_n = g / double(n), twog_n = 2 * g / double(n), onem2g_n = (1 - 2 * g) / double(n);
    for (std::size_t m = 1; m < npwrs; ++m) {
        gpower[m] = gpower[m - 1] * g_n / double(m);
        twogpower[m] = twogpower[m - 1] * twog_n / double(m);
        onem2gpower[m] = onem2gpower[m - 1] * onem2g_n / double(m);
    }
    std::vector<double> V0(npwrs, 0.0), V1(npwrs, 0.0);
    V1[0] = 1;
    std::int64_t V0s = 0, V1s = 0, j1 = 0, j2 = 0;
    long expnt = 0;
    pomeranz_j1j2(0, n, ll, ceilf, roundf, j1, j2);
    std::vector<double> conv;
    for (std::int64_t i = 1; i < 2 * n + 2; ++i) {
        std::int64_t k1 = j1;
        std::swap(V0, V1);
        std::swap(V0s, V1s);
        std::fill(V1.begin(), V1.end(), 0.0);
        pomeranz_j1j2(i, n, ll, ceilf, roundf, j1, j2);
        const auto& pwrs = (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
        std::int64_t ln2 = j2 - k1 + 1;
        if (ln2 <= 0) continue;
        // The slice V0[k1 - V0s : k1 - V0s + ln2] (cut at the end like numpy) convolved with
        // pwrs[:ln2]; only entries [j1 - k1, j2 - k1] of the full convolution are kept.
        std::int64_t a0 = k1 - V0s;
        std::int64_t alen = std::min<std::int64_t>(ln2, std::int64_t(npwrs) - a0);
        std::int64_t blen = std::min<std::int64_t>(ln2, std::int64_t(npwrs));
        std::int64_t conv_start = j1 - k1, conv_len = j2 - j1 + 1;
        for (std::int64_t c = 0; c < conv_len && c < std::int64_t(npwrs); ++c) {
            std::int64_t kk = conv_start + c;
            double s = 0.0;
            for (std::int64_t ia = std::max<std::int64_t>(0, kk - blen + 1); ia <= kk && ia < alen; ++ia)
                s += V0[std::size_t(a0 + ia)] * pwrs[std::size_t(kk - ia)];
            V1[std::size_t(c)] = s;
        }
        double mx = *std::max_element(V1.begin(), V1.end());
        if (0 < mx && mx < double(k_em128)) {
            for (auto& v : V1) v = double(v * k_ep128);
            expnt -= 128;
        }
        V1s = V0s + j1 - k1;
    }
    long double ans = V1[std::size_t(n - V1s)];
    for (std::int64_t m = 1; m <= n; ++m) {
        if (std::fabs(ans) > k_ep128) {
            ans *= k_em128;
            expnt += 128;
        }
        ans *= m;
    }
    if (expnt != 0) ans = std::ldexp(ans, int(expnt));
    return clip01(double(ans));
}

// Pr(D_n <= x) by the Pelz-Good asymptotic series.
double kolmogn_pelz_good_cdf(std::int64_t n, double x) {
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    const double pi2 = k_pi * k_pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    const double sqrt2pi = std::sqrt(2 * k_pi);
    double z = std::sqrt(double(n)) * x;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    double qlog = -pi2 / 8 / z2;
    if (qlog < -708) return 0.0;
    double q = std::exp(qlog);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
    double K[4] = {0, 0, 0, 0};
    int maxk = int(std::ceil(16 * z / k_pi));
    for (int k = maxk; k > 0; --k) {
        double m = 2 * k - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
        double qp = std::pow(q, 8 * k);
        double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; ++i) K[i] = K[i] * qp + c[i];
    }
    double div[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
    for (int i = 0; i < 4; ++i) K[i] = K[i] * q * sqrt2pi / div[i];
    double q2 = std::exp(-pi2 / 2 / z2);
    double k2extra = 0, k3extra = 0, sqrt3z = std::sqrt(3.0) * z;
    for (int k = maxk; k > 0; --k) {
        double ks2 = double(k) * k, qp = std::pow(q2, ks2), kspi = k_pi * k;
        k2extra += ks2 * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
    K[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += K[i] / std::pow(double(n), i / 2.0);
    return sum;
}

} // namespace

double normal_cdf(double a) {
    double x = a * std::numbers::sqrt2 / 2, z = std::fabs(x);
    if (z < std::numbers::sqrt2 / 2) return 0.5 + 0.5 * std::erf(x);
    double y = 0.5 * std::erfc(z);
    return x > 0 ? 1.0 - y : y;
}

double gamma_q(double a, double x) {
    if (x < 0 || a < 0 || std::isnan(a) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
    if (a == 0) return x > 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
    if (x == 0) return 1.0;
    if (std::isinf(x)) return 0.0;
    if (x > 1.1) return x < a ? 1.0 - igam_series(a, x) : igamc_continued_fraction(a, x);
    if (x <= 0.5) return -0.4 / std::log(x) < a ? 1.0 - igam_series(a, x) : igamc_series(a, x);
    return x * 1.1 < a ? 1.0 - igam_series(a, x) : igamc_series(a, x);
}

double chi2_sf(double x, double df) {
    if (x < 0) return 1.0;
    return gamma_q(df / 2, x / 2);
}

double smirnov_sf(std::int64_t n, double x) {
    if (!(n > 0 && x >= 0.0 && x <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
    if (x == 0.0) return 1.0;
    if (x == 1.0) return 0.0;
    double dn = double(n);
    auto nn = std::int64_t(std::floor(dn * (1.0 - x)));
    // x * sum_j C(n, j) (x + j/n)^(j-1) (1 - x - j/n)^(n-j), in logarithms; log C(n, j) is
    // accumulated term by term in long double (over 10^5 terms, double rounding would cost ~1e-10).
    long double logc = 0.0L, sum = 0.0L;
    const long double lx = x, ln = dn;
    for (std::int64_t j = 0; j <= nn; ++j) {
        if (j > 0) logc += std::log((long double)(n - j + 1) / (long double)j);
        long double evn = lx + (long double)j / ln;
        long double omevn = 1.0L - evn;
        if (omevn <= 0.0L && n - j > 0) continue;
        long double t = logc + (long double)(j - 1) * std::log(evn) +
                        (n - j > 0 ? (long double)(n - j) * std::log1p(-evn) : 0.0L);
        if (t > -k_max_log) sum += std::exp(t);
    }
    return clip01(double(sum * lx));
}

double kolmogorov_sf(std::int64_t n, double x) {
    if (n <= 0 || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
    if (x >= 1.0) return 0.0;
    if (x <= 0.0) return 1.0;
    double dn = double(n), t = dn * x;
    if (t <= 1.0) {
        if (t <= 0.5) return 1.0;
        double prob;
        if (n <= 140) {
            prob = 1.0;
            for (std::int64_t i = 1; i <= n; ++i) prob *= double(i) * (1.0 / dn) * (2 * t - 1);
        } else {
            prob = std::exp(log_nfactorial_div_n_pow_n(dn) + dn * std::log(2 * t - 1));
        }
        return clip01(1.0 - prob);
    }
    if (t >= dn - 1) return clip01(2 * std::pow(1.0 - x, dn));
    if (x >= 0.5) return clip01(2 * smirnov_sf(n, x));
    double nx2 = t * x;
    if (n <= 140) {
        if (nx2 <= 0.754693) return clip01(1.0 - kolmogn_dmtw_cdf(n, x));
        if (nx2 <= 4) return clip01(1.0 - kolmogn_pomeranz_cdf(n, x));
        return clip01(2 * smirnov_sf(n, x));
    }
    if (nx2 >= 370.0) return 0.0;
    if (nx2 >= 2.2) return clip01(2 * smirnov_sf(n, x));
    double cdf;
    if (nx2 >= 18.0)
        cdf = 1.0;
    else if (n <= 100000 && dn * std::pow(x, 1.5) <= 1.4)
        cdf = kolmogn_dmtw_cdf(n, x);
    else
        cdf = kolmogn_pelz_good_cdf(n, x);
    return clip01(1.0 - cdf);
}

double ks_2samp_exact_p(std::int64_t n1, std::int64_t n2, std::int64_t h) {
    if (h == 0) return 1.0;
    double p;
    if (n1 == n2) {
        // Pr(D_{n,n} >= h/n) as 2 * A0 * (1 - A1 * (1 - A2 * ...)), evaluated Horner-like.
        std::int64_t n = n1;
        double P = 0.0;
        for (std::int64_t k = n / h; k >= 0; --k) {
            double p1 = 1.0;
            for (std::int64_t j = 0; j < h; ++j) p1 = double(n - k * h - j) * p1 / double(n + k * h + j + 1);
            P = p1 * (1.0 - P);
        }
        p = 2 * P;
    } else {
        // The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m - y/n| <
        // h/lcm, computed directly as 1 - inside (Viehmann's recursion) one column at a time.
        std::int64_t m = std::max(n1, n2), n = std::min(n1, n2);
        std::int64_t g = std::gcd(m, n), mg = m / g, ng = n / g;
        std::int64_t minj = 0, maxj = std::min<std::int64_t>(std::int64_t(std::ceil(double(h) / double(mg))), n + 1);
        std::int64_t curlen = maxj - minj;
        std::vector<double> A(std::size_t(n + 2), 1.0);
        std::fill(A.begin(), A.begin() + maxj, 0.0);
        p = -1;
        for (std::int64_t i = 1; i <= m; ++i) {
            std::int64_t lastminj = minj, lastlen = curlen;
            minj = std::max<std::int64_t>(std::int64_t(std::floor(double(ng * i - h) / double(mg))) + 1, 0);
            minj = std::min(minj, n);
            maxj = std::min<std::int64_t>(std::int64_t(std::ceil(double(ng * i + h) / double(mg))), n + 1);
            if (maxj <= minj) return 1.0;
            double val = minj == 0 ? 0.0 : 1.0;
            for (std::int64_t jj = 0; jj < maxj - minj; ++jj) {
                std::int64_t j = jj + minj;
                val = (A[std::size_t(jj + minj - lastminj)] * double(i) + val * double(j)) / double(i + j);
                A[std::size_t(jj)] = val;
            }
            curlen = maxj - minj;
            if (lastlen > curlen)
                std::fill(A.begin() + curlen, A.begin() + std::min<std::int64_t>(curlen + (lastlen - curlen), n + 2), 1.0);
        }
        p = A[std::size_t(maxj - minj - 1)];
    }
    if (!(p >= 0 && p <= 1)) return -1.0;
    return p;
}

double bessel_k_scaled(double nu, double x) {
    // exp(x) K_nu(x) = int_0^inf exp(-x (cosh t - 1)) cosh(nu t) dt; the integrand is analytic in a
    // strip, so the trapezoidal rule converges geometrically. The step is small enough for the
    // narrow peak at large x.
    const double h = std::min(0.02, 0.5 / std::sqrt(x));
    double sum = 0.5; // t = 0
    for (int i = 1;; ++i) {
        double t = i * h;
        double e = x * (std::cosh(t) - 1.0);
        if (e > 750) break;
        sum += std::exp(-e) * std::cosh(nu * t);
    }
    return sum * h;
}

} // namespace mlops::drift
