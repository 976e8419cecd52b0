#ifndef VIGIL_COPENSSL_SHIM_H
#define VIGIL_COPENSSL_SHIM_H
/* Hide every API that OpenSSL 3 deprecates, so nothing deprecated can be called by accident
   (and no deprecation warning can fail the warnings-as-errors build). */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
/* Self-signed TLS certificates for the server (VigilCrypto.TLSIdentity): X509v3 extensions, EC keys. */
#include <openssl/x509v3.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

/// OPENSSL_free is a function-like macro (it passes __FILE__/__LINE__ to CRYPTO_free).
static inline void vigil_openssl_free(void *pointer) {
    OPENSSL_free(pointer);
}

/// OSSL_PARAM_construct_utf8_string takes a non-const char* for a string OpenSSL only reads;
/// this keeps the cast in C, where it is honest about being read-only.
static inline OSSL_PARAM vigil_param_utf8(const char *key, const char *value) {
    return OSSL_PARAM_construct_utf8_string(key, (char *)value, 0);
}
#endif
