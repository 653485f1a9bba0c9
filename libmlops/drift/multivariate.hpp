// Multivariate drift, NannyML's data reconstruction approach: a PCA fitted on the reference's
// standardised numeric columns (missing values imputed with the reference mean) keeps the
// components that explain 65% of the variance; the mean reconstruction error of each chunk of rows
// is compared with the band mean +- 3 standard deviations of the reference chunks. A change in the
// correlations between columns shows here even when no single column drifts.
#pragma once

#include <string>
#include <vector>

#include <mlops/drift/profile.hpp>
#include <mlops/drift/report.hpp>

namespace mlops::drift {

constexpr double k_pca_variance = 0.65;

// Eigenvalues (descending) and eigenvectors (columns of a row-major n x n matrix) of a symmetric
// matrix, by cyclic Jacobi rotations.
void symmetric_eigen(std::vector<double> a, std::size_t n, std::vector<double>& values, std::vector<double>& vectors);

// `chunks` reference chunks of equal size; the current file in chunks of the same size.
MultivariateResult reconstruction_drift(const DatasetProfile& ref, const DatasetProfile& cur,
                                        const std::vector<std::string>& columns, std::size_t chunks,
                                        unsigned threads);

} // namespace mlops::drift
