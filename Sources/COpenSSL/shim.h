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
/* ---- TLS client (the agent's connection to its server, pinned to one certificate) ---- */
#include <openssl/ssl.h>

/// SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
static inline int vigil_ssl_ctx_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// SSL_set_tlsext_host_name (SNI) is a macro over SSL_ctrl taking a non-const char*.
static inline int vigil_ssl_set_sni(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, (char *)name);
}
#endif
