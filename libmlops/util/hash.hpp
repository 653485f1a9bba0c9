// SHA-256 through OpenSSL EVP (which uses the CPU's SHA instructions where present).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <mlops/util/error.hpp>

struct evp_md_ctx_st;

namespace mlops::util {

// A SHA-256 digest; the textual form (64 lowercase hex digits) is an object id ("oid").
struct Digest {
    std::array<std::uint8_t, 32> bytes{};
    std::string hex() const;
    bool operator==(const Digest&) const = default;
};

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    Digest finish(); // resets for reuse

  private:
    evp_md_ctx_st* m_ctx;
};

std::string sha256_hex(std::string_view data);
Result<std::string> sha256_file(const std::string& path);

// True for exactly 64 lowercase hex digits.
bool is_oid(std::string_view s);
std::string to_hex(std::span<const std::uint8_t> bytes);

} // namespace mlops::util
