// Ed25519 keys and signatures through OpenSSL EVP (the second of the two places OpenSSL is
// wrapped, with util/hash). Keys travel as PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for
// the public one, the forms `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write.
#pragma once

#include <string>
#include <string_view>

#include <mlops/util/error.hpp>

namespace mlops::util {

struct Ed25519KeyPair {
    std::string private_pem;
    std::string public_pem;
};

Result<Ed25519KeyPair> ed25519_generate();
// `what` names the key in error messages (its file).
Result<std::string> ed25519_public_from_private(const std::string& private_pem, const std::string& what);
// The signature (64 bytes) of `message`, base64.
Result<std::string> ed25519_sign(const std::string& private_pem, std::string_view message, const std::string& what);
// False for a signature that does not match; an error for a key or signature that cannot be read.
Result<bool> ed25519_verify(const std::string& public_pem, std::string_view message, std::string_view signature_b64,
                            const std::string& what);
// The SHA-256 of the raw 32-byte public key, hex: a short, stable key id.
Result<std::string> ed25519_key_id(const std::string& public_pem, const std::string& what);

} // namespace mlops::util
