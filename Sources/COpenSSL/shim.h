// OpenSSL's libcrypto, for SHA-256 only: its assembly uses the CPU's SHA extensions where there are some.
// The low-level SHA256_Init/Update/Final (deprecated in 3.0 in favour of EVP, still exported) run on a context on
// the stack; the one-shot SHA256() of 3.0 goes through EVP_Q_digest, which fetches the algorithm on every call.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
#include <stddef.h>

static inline void ptk_sha256(const void *data, size_t length, unsigned char *digest) {
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, data, length);
    SHA256_Final(digest, &context);
}
