#include <catch2/catch.hpp>

#include <mlops/remote/sigv4.hpp>
#include <mlops/remote/url.hpp>
#include <mlops/util/hash.hpp>

using namespace mlops;
using remote::Credentials;
using remote::SignInput;

namespace {
// AWS's Signature Version 4 test suite (service "service", 2015-08-30T12:36:00Z).
const Credentials k_suite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "test"};
// The S3 documentation's examples (examplebucket, 2013-05-24).
const Credentials k_s3{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "test"};
const std::string k_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignInput suite(std::string method, remote::Query query = {}) {
    SignInput in;
    in.method = std::move(method);
    in.canonical_uri = "/";
    in.query = std::move(query);
    in.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    in.payload_sha256 = k_empty;
    in.amz_date = "20150830T123600Z";
    in.region = "us-east-1";
    in.service = "service";
    return in;
}

// An S3 example request built the way the backend builds them: target from bucket and key.
SignInput s3(std::string method, std::string key, remote::Query query, std::string payload) {
    auto t = remote::s3_target(remote::Endpoint{true, "s3.amazonaws.com"}, "examplebucket", key, false, query);
    SignInput in;
    in.method = std::move(method);
    in.canonical_uri = t.canonical_uri;
    in.query = std::move(query);
    in.headers = {{"Host", t.host}, {"x-amz-content-sha256", payload}, {"x-amz-date", "20130524T000000Z"}};
    in.payload_sha256 = payload;
    in.amz_date = "20130524T000000Z";
    in.region = "us-east-1";
    in.service = "s3";
    return in;
}
} // namespace

TEST_CASE("sigv4: get-vanilla", "[sigv4]") {
    auto s = remote::sign_v4(suite("GET"), k_suite);
    CHECK(s.canonical_request ==
          "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + k_empty);
    CHECK(s.string_to_sign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK(s.signature == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK(s.authorization == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                             "SignedHeaders=host;x-amz-date, "
                             "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: get-vanilla-query-order-key-case sorts the query", "[sigv4]") {
    auto s = remote::sign_v4(suite("GET", {{"Param2", "value2"}, {"Param1", "value1"}}), k_suite);
    CHECK(s.signature == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4: post-x-www-form-urlencoded signs the content type and the body hash", "[sigv4]") {
    auto in = suite("POST");
    in.headers.insert(in.headers.begin(), {"Content-Type", "application/x-www-form-urlencoded"});
    in.payload_sha256 = util::sha256_hex("Param1=value1");
    auto s = remote::sign_v4(in, k_suite);
    CHECK(s.signed_headers == "content-type;host;x-amz-date");
    CHECK(s.string_to_sign.ends_with("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"));
    CHECK(s.signature == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("sigv4: post-vanilla and header value canonicalisation", "[sigv4]") {
    CHECK(remote::sign_v4(suite("POST"), k_suite).signature ==
          "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    // Spaces inside a value collapse to one; leading and trailing ones go.
    auto a = suite("GET");
    a.headers.push_back({"my-header1", "a   b"});
    auto b = suite("GET");
    b.headers.push_back({"MY-HEADER1", "  a b "});
    CHECK(remote::sign_v4(a, k_suite).signature == remote::sign_v4(b, k_suite).signature);
}

TEST_CASE("sigv4: S3 GET Object example (range, empty payload)", "[sigv4][s3]") {
    auto in = s3("GET", "test.txt", {}, k_empty);
    in.headers.push_back({"Range", "bytes=0-9"});
    auto s = remote::sign_v4(in, k_s3);
    CHECK(s.canonical_request == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                                 "x-amz-content-sha256:" + k_empty + "\nx-amz-date:20130524T000000Z\n\n"
                                 "host;range;x-amz-content-sha256;x-amz-date\n" + k_empty);
    CHECK(s.string_to_sign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK(s.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: S3 PUT Object example (real payload hash, '$' in the key)", "[sigv4][s3]") {
    std::string payload = util::sha256_hex("Welcome to Amazon S3.");
    CHECK(payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    auto in = s3("PUT", "test$file.text", {}, payload);
    CHECK(in.canonical_uri == "/test%24file.text");
    in.headers.push_back({"Date", "Fri, 24 May 2013 00:00:00 GMT"});
    in.headers.push_back({"x-amz-storage-class", "REDUCED_REDUNDANCY"});
    auto s = remote::sign_v4(in, k_s3);
    CHECK(s.signed_headers == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
    CHECK(s.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4: S3 GET Bucket Lifecycle and ListObjects examples (queries)", "[sigv4][s3]") {
    CHECK(remote::sign_v4(s3("GET", "", {{"lifecycle", ""}}, k_empty), k_s3).signature ==
          "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    CHECK(remote::sign_v4(s3("GET", "", {{"max-keys", "2"}, {"prefix", "J"}}, k_empty), k_s3).signature ==
          "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("sigv4: a session token is signed as x-amz-security-token", "[sigv4]") {
    auto in = suite("GET");
    in.headers.push_back({"x-amz-security-token", "TOKEN"});
    auto s = remote::sign_v4(in, k_suite);
    CHECK(s.signed_headers == "host;x-amz-date;x-amz-security-token");
    CHECK(s.canonical_request.find("x-amz-security-token:TOKEN\n") != std::string::npos);
}

TEST_CASE("amz_date formats UTC", "[sigv4]") {
    auto t = std::chrono::system_clock::from_time_t(1369353600); // 2013-05-24T00:00:00Z
    CHECK(remote::amz_date(t) == "20130524T000000Z");
}
