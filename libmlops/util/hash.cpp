#include <mlops/util/hash.hpp>

#include <openssl/evp.h>

#include <mlops/util/fs.hpp>

namespace mlops::util {

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char k_digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = k_digits[bytes[i] >> 4];
        out[2 * i + 1] = k_digits[bytes[i] & 0xf];
    }
    return out;
}

std::string Digest::hex() const { return to_hex(bytes); }

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr); }
Sha256::~Sha256() { EVP_MD_CTX_free(m_ctx); }

void Sha256::update(const void* data, std::size_t size) { EVP_DigestUpdate(m_ctx, data, size); }

Digest Sha256::finish() {
    Digest d;
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_ctx, d.bytes.data(), &len);
    EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr);
    return d;
}

std::string sha256_hex(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish().hex();
}

Result<std::string> sha256_file(const std::string& path) {
    auto fd = MLOPS_TRY(UniqueFd::open_read(path));
    Sha256 h;
    MLOPS_TRYV(read_chunks(fd.get(), path, [&](const char* p, std::size_t n) {
        h.update(p, n);
        return Status{};
    }));
    return h.finish().hex();
}

bool is_oid(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

} // namespace mlops::util
