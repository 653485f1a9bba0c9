#include <mlops/util/ed25519.hpp>

#include <memory>
#include <optional>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mlops/util/hash.hpp>

namespace mlops::util {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return std::string(data, std::size_t(n));
}

Result<Pkey> read_key(const std::string& pem, bool is_private, const std::string& what) {
    Bio bio(BIO_new_mem_buf(pem.data(), int(pem.size())));
    Pkey key(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                        : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!key)
        return fail(Error::usage(fmt::format("{}: not a PEM {} key", what, is_private ? "private" : "public")));
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
        return fail(Error::usage(fmt::format("{}: not an Ed25519 key (see `mlops keygen`)", what)));
    return key;
}

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, int(n));
    out.resize(std::size_t(len));
    return out;
}

std::optional<std::vector<unsigned char>> unbase64(std::string_view s) {
    if (s.empty() || s.size() % 4 != 0) return std::nullopt;
    std::vector<unsigned char> out(s.size() / 4 * 3);
    int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), int(s.size()));
    if (len < 0) return std::nullopt;
    std::size_t pad = s.ends_with("==") ? 2 : s.ends_with("=") ? 1 : 0;
    out.resize(std::size_t(len) - pad);
    return out;
}

std::string public_pem_of(EVP_PKEY* key) {
    Bio pub(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(pub.get(), key);
    return bio_text(pub.get());
}

} // namespace

Result<Ed25519KeyPair> ed25519_generate() {
    EVP_PKEY* raw = nullptr;
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0)
        return fail(Error::internal("cannot generate an Ed25519 key: " + openssl_error()));
    Pkey key(raw);
    Bio priv(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return fail(Error::internal("cannot write an Ed25519 key: " + openssl_error()));
    return Ed25519KeyPair{bio_text(priv.get()), public_pem_of(key.get())};
}

Result<std::string> ed25519_public_from_private(const std::string& private_pem, const std::string& what) {
    auto key = MLOPS_TRY(read_key(private_pem, true, what));
    return public_pem_of(key.get());
}

Result<std::string> ed25519_sign(const std::string& private_pem, std::string_view message, const std::string& what) {
    auto key = MLOPS_TRY(read_key(private_pem, true, what));
    MdCtx ctx(EVP_MD_CTX_new());
    unsigned char sig[64];
    std::size_t len = sizeof sig;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
        return fail(Error::internal(fmt::format("{}: cannot sign: {}", what, openssl_error())));
    return base64(sig, len);
}

Result<bool> ed25519_verify(const std::string& public_pem, std::string_view message, std::string_view signature_b64,
                            const std::string& what) {
    auto key = MLOPS_TRY(read_key(public_pem, false, what));
    auto sig = unbase64(signature_b64);
    if (!sig || sig->size() != 64) return false;
    MdCtx ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
        return fail(Error::internal(fmt::format("{}: cannot verify: {}", what, openssl_error())));
    int rc = EVP_DigestVerify(ctx.get(), sig->data(), sig->size(), reinterpret_cast<const unsigned char*>(message.data()),
                              message.size());
    ERR_clear_error();
    return rc == 1;
}

Result<std::string> ed25519_key_id(const std::string& public_pem, const std::string& what) {
    auto key = MLOPS_TRY(read_key(public_pem, false, what));
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key.get(), raw, &len) != 1)
        return fail(Error::internal(fmt::format("{}: {}", what, openssl_error())));
    return sha256_hex(std::string_view(reinterpret_cast<const char*>(raw), len));
}

} // namespace mlops::util
