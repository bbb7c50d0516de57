#include "migrate/checksum.h"

#include "pg/dynlib.h"

static int failed(sw_err *err)
{
    sw_err_set(err, "SHA-256 failed in libcrypto");
    return -1;
}

static void to_hex(const unsigned char *md, char hex[SW_CHECKSUM_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned int i = 0; i < SW_CHECKSUM_HEX_LEN / 2; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }
    hex[SW_CHECKSUM_HEX_LEN] = '\0';
}

struct sw_checksum_stream *sw_checksum_open(sw_err *err)
{
    EVP_MD_CTX *ctx;

    if (sw_libcrypto_load(err) < 0)
        return NULL;
    ctx = sw_crypto->EVP_MD_CTX_new();
    if (!ctx) {
        sw_err_set(err, "out of memory");
        return NULL;
    }
    if (!sw_crypto->EVP_DigestInit_ex(ctx, sw_sha256, NULL)) {
        sw_crypto->EVP_MD_CTX_free(ctx);
        failed(err);
        return NULL;
    }
    return (struct sw_checksum_stream *)ctx; /* libcrypto's context is all a stream is */
}

int sw_checksum_add(struct sw_checksum_stream *s, const char *data, size_t len, sw_err *err)
{
    return sw_crypto->EVP_DigestUpdate((EVP_MD_CTX *)s, data, len) ? 0 : failed(err);
}

/* Finishing a digest ends its context: a copy is finished, the stream goes on. */
int sw_checksum_so_far(const struct sw_checksum_stream *s, char hex[SW_CHECKSUM_HEX_LEN + 1],
                       sw_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *copy = sw_crypto->EVP_MD_CTX_new();
    int ok = copy && sw_crypto->EVP_MD_CTX_copy_ex(copy, (const EVP_MD_CTX *)s) &&
             sw_crypto->EVP_DigestFinal_ex(copy, md, &md_len) && md_len * 2 == SW_CHECKSUM_HEX_LEN;

    sw_crypto->EVP_MD_CTX_free(copy);
    if (!ok)
        return failed(err);
    to_hex(md, hex);
    return 0;
}

void sw_checksum_close(struct sw_checksum_stream *s)
{
    if (s)
        sw_crypto->EVP_MD_CTX_free((EVP_MD_CTX *)s);
}

int sw_checksum(const char *data, size_t len, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (sw_libcrypto_load(err) < 0)
        return -1;
    if (!sw_crypto->EVP_Digest(data, len, md, &md_len, sw_sha256, NULL) ||
        md_len * 2 != SW_CHECKSUM_HEX_LEN)
        return failed(err);
    to_hex(md, hex);
    return 0;
}
