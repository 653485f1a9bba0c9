// One conformance suite, run against every backend: the local folder, the fault-injecting wrapper
// (under the retry wrapper, as the CLI stacks them) and S3 on s3rver, which the test starts on a
// free loopback port (the npm packages are installed by tests/e2e/s3/install.sh when missing).
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

#include <mlops/remote/decorators.hpp>
#include <mlops/remote/local_backend.hpp>
#include <mlops/remote/s3_backend.hpp>
#include <mlops/util/hash.hpp>

#include "scratch.hpp"

using namespace mlops;
using remote::Backend;
using remote::Fault;

namespace {

std::string source_dir() {
    if (const char* d = std::getenv("MLOPS_SOURCE_DIR")) return d;
    std::string f = __FILE__; // <src>/tests/unit/remote/conformance_test.cpp
    for (int i = 0; i < 4; ++i) f = f.substr(0, f.rfind('/'));
    return f;
}

std::string object(const test::Scratch& s, const std::string& name, const std::string& content, std::string& oid) {
    s.write(name, content);
    oid = util::sha256_hex(content);
    return s / name;
}

void conformance(Backend& b, const test::Scratch& s) {
    std::string oid_a, oid_b, oid_big, oid_empty;
    auto file_a = object(s, "a", "hello remote\n", oid_a);
    auto file_b = object(s, "b", std::string(70000, 'b'), oid_b);
    std::string big(17 * 1024 * 1024 + 5, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = char((i * 2654435761u) >> 13);
    auto file_big = object(s, "big", big, oid_big);
    auto file_empty = object(s, "empty", "", oid_empty);
    auto key = [](const std::string& oid) { return remote::object_key(oid); };
    int n = 0;
    auto dest = [&] { return s / ("dest" + std::to_string(++n)); };

    SECTION("a missing key does not exist, and getting it is not_found") {
        auto e = b.exists(key(oid_a));
        REQUIRE(e);
        CHECK_FALSE(*e);
        auto g = b.get(key(oid_a), dest());
        REQUIRE_FALSE(g);
        CHECK(g.error().fault == Fault::not_found);
        CHECK(b.remove(key(oid_a))); // removing what is not there is fine
    }
    SECTION("put, exists, get round-trip; put again is harmless") {
        for (auto* p : {&file_a, &file_b, &file_empty}) REQUIRE(b.put(key(util::sha256_file(*p).value()), *p, {0, util::sha256_file(*p).value()}));
        REQUIRE(b.put(key(oid_a), file_a, {13, oid_a}));
        REQUIRE(b.flush());
        for (auto& [oid, content] : std::vector<std::pair<std::string, std::string>>{
                 {oid_a, "hello remote\n"}, {oid_b, std::string(70000, 'b')}, {oid_empty, ""}}) {
            CHECK(*b.exists(key(oid)));
            auto d = dest();
            REQUIRE(b.get(key(oid), d));
            CHECK(s.read(d.substr(s.path().size() + 1)) == content);
        }
    }
    SECTION("a big object (multipart on S3) round-trips") {
        REQUIRE(b.put(key(oid_big), file_big, {big.size(), oid_big}));
        REQUIRE(b.flush());
        auto d = dest();
        REQUIRE(b.get(key(oid_big), d));
        CHECK(util::sha256_file(d).value() == oid_big);
    }
    SECTION("content that does not match its name is refused and never published") {
        auto st = b.put(key(oid_b), file_a, {13, oid_b});
        REQUIRE_FALSE(st);
        CHECK(st.error().fault == Fault::corrupt);
        REQUIRE(b.flush());
        CHECK_FALSE(*b.exists(key(oid_b)));
    }
    SECTION("list by prefix, with sizes; exists_many agrees") {
        std::vector<std::string> keys;
        for (int i = 0; i < 40; ++i) {
            std::string content = "object " + std::to_string(i);
            std::string oid;
            auto f = object(s, "o" + std::to_string(i), content, oid);
            if (i % 4 == 0) {
                REQUIRE(b.put(key(oid), f, {content.size(), oid}));
            }
            keys.push_back(key(oid));
        }
        REQUIRE(b.put("meta/notes.txt", file_a, {}));
        REQUIRE(b.flush());
        std::set<std::string> all;
        REQUIRE(b.list("", [&](const remote::ObjectInfo& o) -> remote::Status {
            all.insert(o.key);
            if (o.key == "meta/notes.txt") CHECK(o.size == 13);
            return {};
        }));
        CHECK(all.size() == 11);
        CHECK(all.contains("meta/notes.txt"));
        std::set<std::string> meta;
        REQUIRE(b.list("meta/", [&](const remote::ObjectInfo& o) -> remote::Status {
            meta.insert(o.key);
            return {};
        }));
        CHECK(meta == std::set<std::string>{"meta/notes.txt"});
        auto found = remote::exists_many(b, keys, 4);
        REQUIRE(found);
        for (std::size_t i = 0; i < keys.size(); ++i) CHECK((*found)[i] == (i % 4 == 0));
        // Few keys: one request per key.
        auto few = remote::exists_many(b, {keys[0], keys[1], "meta/notes.txt"}, 2);
        REQUIRE(few);
        CHECK(*few == std::vector<bool>{true, false, true});
    }
    SECTION("list_from walks keys in ascending order and stops when asked") {
        std::vector<std::string> keys;
        for (int i = 0; i < 12; ++i) {
            std::string content = "ordered " + std::to_string(i);
            std::string oid;
            auto f = object(s, "p" + std::to_string(i), content, oid);
            REQUIRE(b.put(key(oid), f, {content.size(), oid}));
            keys.push_back(key(oid));
        }
        REQUIRE(b.flush());
        std::sort(keys.begin(), keys.end());
        std::vector<std::string> seen;
        REQUIRE(b.list_from("", [&](const remote::ObjectInfo& o) -> remote::Result<bool> {
            seen.push_back(o.key);
            return true;
        }));
        CHECK(seen == keys);
        seen.clear();
        REQUIRE(b.list_from(keys[3], [&](const remote::ObjectInfo& o) -> remote::Result<bool> {
            seen.push_back(o.key);
            return seen.size() < 2;
        }));
        CHECK(seen == std::vector<std::string>{keys[4], keys[5]});
    }
    SECTION("exists_many over (nearly) every fan-out prefix") {
        std::vector<std::string> keys, contents;
        for (int i = 0; i < 600; ++i) {
            contents.push_back("spread " + std::to_string(i));
            keys.push_back(key(util::sha256_hex(contents.back())));
        }
        for (int i = 0; i < 600; i += 25) {
            std::string oid;
            auto f = object(s, "q" + std::to_string(i), contents[std::size_t(i)], oid);
            REQUIRE(b.put(keys[std::size_t(i)], f, {contents[std::size_t(i)].size(), oid}));
        }
        REQUIRE(b.flush());
        auto found = remote::exists_many(b, keys, 4);
        REQUIRE(found);
        for (std::size_t i = 0; i < keys.size(); ++i) CHECK((*found)[i] == (i % 25 == 0));
    }
    SECTION("remove") {
        REQUIRE(b.put(key(oid_a), file_a, {13, oid_a}));
        REQUIRE(b.flush());
        REQUIRE(b.remove(key(oid_a)));
        CHECK_FALSE(*b.exists(key(oid_a)));
    }
}

// s3rver in a child process for the duration of a test.
class S3rver {
  public:
    explicit S3rver(const std::string& dir) {
        std::string src = source_dir();
        std::string npm = src + "/build-npm";
        if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
            m_why = "node and npm are not installed";
            return;
        }
        if (std::system(("bash '" + src + "/tests/e2e/s3/install.sh' '" + npm + "' >/dev/null").c_str()) != 0) {
            m_why = "npm install of the S3 test packages failed";
            return;
        }
        int fds[2];
        if (::pipe(fds) != 0) return;
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(fds[1], 1);
            ::close(fds[0]);
            ::setenv("NODE_PATH", (npm + "/node_modules").c_str(), 1);
            std::string script = src + "/tests/e2e/s3/server.js";
            ::execlp("node", "node", script.c_str(), dir.c_str(), "mlops-unit", (char*)nullptr);
            ::_exit(127);
        }
        ::close(fds[1]);
        FILE* out = ::fdopen(fds[0], "r");
        char line[128];
        if (out && std::fgets(line, sizeof line, out) && std::sscanf(line, "PORT %d", &m_port) == 1) {
            std::fclose(out);
            return;
        }
        if (out) std::fclose(out);
        m_why = "s3rver did not start";
        m_port = 0;
    }
    ~S3rver() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    int port() const { return m_port; }
    const std::string& why() const { return m_why; }

  private:
    pid_t m_pid = -1;
    int m_port = 0;
    std::string m_why;
};

remote::S3Options s3_options(int port) {
    remote::S3Options o;
    o.bucket = "mlops-unit";
    o.prefix = "conformance";
    o.endpoint = {false, "127.0.0.1:" + std::to_string(port)};
    o.path_style = true;
    o.credentials = {"S3RVER", "S3RVER", "", "test"};
    o.multipart_threshold = 8ull << 20; // big (17 MiB) goes up in 3 parts
    o.part_size = 8ull << 20;
    o.jobs = 3;
    return o;
}

} // namespace

TEST_CASE("conformance: local folder", "[remote][conformance]") {
    test::Scratch s;
    remote::LocalBackend b(s / "remote", remote::CreateRoot::yes);
    conformance(b, s);
}

TEST_CASE("conformance: fault-injecting wrapper under retries", "[remote][conformance]") {
    test::Scratch s;
    auto plan = remote::parse_fault_plan("every=2,ops=exists+get+put+list+remove");
    REQUIRE(plan);
    auto faulty = std::make_unique<remote::FaultyBackend>(std::make_unique<remote::LocalBackend>(s / "remote", remote::CreateRoot::yes), *plan);
    auto* f = faulty.get();
    remote::RetryingBackend b(std::move(faulty), {6, std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
    conformance(b, s);
    CHECK(f->injected() > 0);
}

TEST_CASE("fault-injecting wrapper: corrupt and truncated downloads, dropped connections", "[remote][faults]") {
    test::Scratch s;
    s.write("a", "some content that will be damaged");
    std::string oid = util::sha256_hex("some content that will be damaged");
    for (const char* spec : {"corrupt=flip", "corrupt=truncate"}) {
        remote::FaultyBackend b(std::make_unique<remote::LocalBackend>(s / "remote", remote::CreateRoot::yes),
                                *remote::parse_fault_plan(spec));
        REQUIRE(b.put(remote::object_key(oid), s / "a", {0, oid}));
        REQUIRE(b.flush());
        std::string d = s / (std::string("got-") + spec);
        REQUIRE(b.get(remote::object_key(oid), d));
        CHECK(util::sha256_file(d).value() != oid);
    }
    remote::FaultyBackend drop(std::make_unique<remote::LocalBackend>(s / "remote", remote::CreateRoot::yes),
                               *remote::parse_fault_plan("fail=1,drop"));
    auto st = drop.get(remote::object_key(oid), s / "dropped");
    REQUIRE_FALSE(st);
    CHECK(st.error().fault == Fault::transient);
    CHECK(s.read("dropped").size() < 33);
}

TEST_CASE("conformance: S3 on s3rver", "[remote][conformance][s3]") {
    test::Scratch s;
    S3rver server(s / "s3data");
    if (!server.port()) {
        if (std::getenv("CI")) FAIL("s3rver is needed in CI: " << server.why());
        WARN("skipping the S3 conformance run: " << server.why());
        return;
    }
    remote::S3Backend b(s3_options(server.port()));
    conformance(b, s);
    CHECK(b.requests() > 0);
}

TEST_CASE("S3: missing bucket and wrong credentials are told apart", "[remote][s3]") {
    test::Scratch s;
    S3rver server(s / "s3data");
    if (!server.port()) {
        if (std::getenv("CI")) FAIL("s3rver is needed in CI: " << server.why());
        WARN("skipping: " << server.why());
        return;
    }
    auto o = s3_options(server.port());
    o.bucket = "no-such-bucket";
    remote::S3Backend nobucket(o);
    auto l = nobucket.list("", [](const remote::ObjectInfo&) -> remote::Status { return {}; });
    REQUIRE_FALSE(l);
    CHECK(l.error().fault == Fault::no_bucket);
    o = s3_options(server.port());
    o.credentials.access_key_id = "WRONG";
    remote::S3Backend wrong(o);
    auto g = wrong.get("ab/cd", s / "x");
    REQUIRE_FALSE(g);
    CHECK(g.error().fault == Fault::denied);
    CHECK(g.error().http_status == 403);
    o = s3_options(1); // nothing listens on port 1
    o.http.connect_timeout_ms = 2000;
    remote::S3Backend down(o);
    auto e = down.exists("ab/cd");
    REQUIRE_FALSE(e);
    CHECK(e.error().fault == Fault::transient);
}
