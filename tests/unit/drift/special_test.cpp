#include <catch2/catch.hpp>

#include <mlops/drift/special.hpp>

using namespace mlops::drift;

// Expected values from scipy 1.10 (Debian python3-scipy).
TEST_CASE("drift.special: distribution functions equal scipy's", "[drift]") {
    CHECK(normal_cdf(1.3) == Approx(0.9031995154143897).epsilon(1e-14));
    CHECK(normal_cdf(-2.5) == Approx(0.006209665325776132).epsilon(1e-14));
    CHECK(chi2_sf(3.7, 4) == Approx(0.44812592399383866).epsilon(1e-12));
    CHECK(chi2_sf(30.0, 2) == Approx(3.0590232050182594e-07).epsilon(1e-12));
    CHECK(chi2_sf(0.3, 1) == Approx(0.583882420770365).epsilon(1e-12));
    CHECK(smirnov_sf(20, 0.3) == Approx(0.021533604376327058).epsilon(1e-12));
    CHECK(smirnov_sf(5000, 0.03) == Approx(0.00012079617211333408).epsilon(1e-10));
    // kstwo.sf through each of its algorithms: Pomeranz (n <= 140), DMTW, Smirnov, Pelz-Good.
    CHECK(kolmogorov_sf(50, 0.2) == Approx(0.03143877776953241).epsilon(1e-11));
    CHECK(kolmogorov_sf(100, 0.1) == Approx(0.2526927570063874).epsilon(1e-11));
    CHECK(kolmogorov_sf(1000, 0.05) == Approx(0.013012074781090332).epsilon(1e-11));
    CHECK(kolmogorov_sf(200000, 0.01) == Approx(8.433125699870092e-18).epsilon(1e-10));
    CHECK(bessel_k_scaled(0.25, 0.7) == Approx(1.3705104827003318).epsilon(1e-13));
    CHECK(bessel_k_scaled(0.25, 40.0) == Approx(0.19770810462750407).epsilon(1e-13));
}

TEST_CASE("drift.special: exact two-sample KS p-values at the edges", "[drift]") {
    CHECK(ks_2samp_exact_p(10, 10, 0) == 1.0);
    double p = ks_2samp_exact_p(8, 7, 24); // D = 24/56, scipy: 0.42175602175602184
    CHECK(p == Approx(0.42175602175602184).epsilon(1e-12));
    CHECK(ks_2samp_exact_p(5, 5, 5) == Approx(2.0 / 252).epsilon(1e-12)); // all of one below all of the other
}
