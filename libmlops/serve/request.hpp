// Scoring requests of `mlops serve` (docs/serving.md): the bodies MLflow's scoring server accepts
// (application/json with dataframe_split, dataframe_records, instances or inputs; text/csv), turned
// into a frame of the model's feature columns and checked against the model's signature. Every
// rejection carries the HTTP status and a one-line message naming the field, never an exception.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <mlops/ml/csv.hpp>
#include <mlops/ml/preprocess.hpp>

namespace mlops::serve {

struct Rejection {
    int status = 400; // 400 bad input, 415 unsupported content type
    std::string error;
    nlohmann::json inputs; // the rows as received when they could be read, else null
};

struct Batch {
    ml::Frame frame;       // the feature columns, one row per input row, in request order
    nlohmann::json inputs; // array of objects (column -> value as received), one per row
};

// Reads and validates a request body for the model `pre` was fitted for. A column the model does not
// use is an error, except the target (so rows of a labelled file can be sent as they are); a missing
// value (null, NaN, an empty or NA cell) is one only under data.missing: error, an unseen category
// only under data.unknown: error, as in `mlops predict`.
std::expected<Batch, Rejection> parse_invocation(std::string_view content_type, std::string_view body,
                                                 const ml::Preprocessor& pre);

// JSON as Python's json module writes it: bare NaN, Infinity and -Infinity outside strings become
// null and ±1.7976931348623157e308 (the largest double, which validation reports as not finite), so
// they reach validation and its message naming the field instead of failing the parse.
std::string replace_non_finite(std::string_view body);

} // namespace mlops::serve
