#include <catch2/catch.hpp>

#include <mlops/remote/backend.hpp>
#include <mlops/remote/url.hpp>

using namespace mlops;

TEST_CASE("parse_url accepts folders, file URLs and s3 URLs", "[remote][url]") {
    auto a = remote::parse_url("/data/store");
    REQUIRE(a);
    CHECK(a->scheme == remote::Scheme::local);
    CHECK(a->path == "/data/store");
    auto rel = remote::parse_url("../shared/store");
    REQUIRE(rel);
    CHECK(rel->path == "../shared/store");
    auto f = remote::parse_url("file:///mnt/nfs/store");
    REQUIRE(f);
    CHECK(f->scheme == remote::Scheme::local);
    CHECK(f->path == "/mnt/nfs/store");
    auto s = remote::parse_url("s3://my-bucket/team/project/");
    REQUIRE(s);
    CHECK(s->scheme == remote::Scheme::s3);
    CHECK(s->bucket == "my-bucket");
    CHECK(s->prefix == "team/project");
    auto bare = remote::parse_url("s3://my.bucket");
    REQUIRE(bare);
    CHECK(bare->prefix.empty());
}

TEST_CASE("parse_url rejects malformed URLs with a reason", "[remote][url]") {
    for (const char* bad : {"", "s3://", "s3:///prefix", "s3://Bad_Bucket/x", "s3://ab", "s3://b-ucket//x",
                            "http://example.com/x", "file://host/path", "file://relative", "host:path"}) {
        INFO(bad);
        auto r = remote::parse_url(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == util::ErrorKind::usage);
    }
    CHECK(remote::parse_url("ftp://x/y").error().message.find("unsupported remote URL scheme 'ftp'") != std::string::npos);
}

TEST_CASE("remote and bucket names", "[remote][url]") {
    CHECK(remote::valid_remote_name("origin"));
    CHECK(remote::valid_remote_name("team_s3-2"));
    CHECK_FALSE(remote::valid_remote_name("-x"));
    CHECK_FALSE(remote::valid_remote_name("a.b"));
    CHECK_FALSE(remote::valid_remote_name(""));
    CHECK(remote::valid_bucket_name("abc"));
    CHECK_FALSE(remote::valid_bucket_name("a..b"));
    CHECK_FALSE(remote::valid_bucket_name("-abc"));
}

TEST_CASE("parse_endpoint", "[remote][url]") {
    auto e = remote::parse_endpoint("http://127.0.0.1:9000/");
    REQUIRE(e);
    CHECK_FALSE(e->https);
    CHECK(e->host == "127.0.0.1:9000");
    auto d = remote::parse_endpoint("minio.example.com");
    REQUIRE(d);
    CHECK(d->https);
    CHECK_FALSE(remote::parse_endpoint("ftp://x"));
    CHECK_FALSE(remote::parse_endpoint("http://host/path"));
    CHECK(remote::aws_endpoint("eu-west-1").host == "s3.eu-west-1.amazonaws.com");
}

TEST_CASE("s3_target builds path-style and virtual-hosted requests", "[remote][url]") {
    remote::Endpoint local{false, "127.0.0.1:4568"};
    auto p = remote::s3_target(local, "bucket", "pre/ab/cd", true, {});
    CHECK(p.host == "127.0.0.1:4568");
    CHECK(p.canonical_uri == "/bucket/pre/ab/cd");
    CHECK(p.url == "http://127.0.0.1:4568/bucket/pre/ab/cd");
    auto list = remote::s3_target(local, "bucket", "", true, {{"prefix", "pre/ab/"}, {"list-type", "2"}});
    CHECK(list.canonical_uri == "/bucket");
    CHECK(list.url == "http://127.0.0.1:4568/bucket?list-type=2&prefix=pre%2Fab%2F");
    auto v = remote::s3_target(remote::aws_endpoint("us-east-1"), "bucket", "a b+c", false, {{"uploads", ""}});
    CHECK(v.host == "bucket.s3.us-east-1.amazonaws.com");
    CHECK(v.canonical_uri == "/a%20b%2Bc");
    CHECK(v.url == "https://bucket.s3.us-east-1.amazonaws.com/a%20b%2Bc?uploads=");
}

TEST_CASE("uri_encode and canonical_query", "[remote][url]") {
    CHECK(remote::uri_encode("a-b_c.d~e/f g", true) == "a-b_c.d~e/f%20g");
    CHECK(remote::uri_encode("a/b=c", false) == "a%2Fb%3Dc");
    CHECK(remote::uri_encode("\xe1\x88\xb4", true) == "%E1%88%B4");
    CHECK(remote::canonical_query({{"b", "2"}, {"a", "x y"}, {"a", "1"}}) == "a=1&a=x%20y&b=2");
}

TEST_CASE("object keys", "[remote]") {
    std::string oid(64, 'a');
    oid[0] = '1';
    CHECK(remote::object_key(oid) == "1a/" + std::string(62, 'a'));
    CHECK(remote::oid_of_key(remote::object_key(oid)) == oid);
    CHECK(remote::oid_of_key("meta/x").empty());
    CHECK(remote::oid_of_key("1a" + std::string(63, 'a')).empty());
}
