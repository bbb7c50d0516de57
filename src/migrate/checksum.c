#include "migrate/checksum.h"

#include "pg/dynlib.h"

int sw_checksum(const char *data, size_t len, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (sw_libcrypto_load(err) < 0)
        return -1;
    if (!sw_crypto->EVP_Digest(data, len, md, &md_len, sw_crypto->EVP_sha256(), NULL) ||
        md_len * 2 != SW_CHECKSUM_HEX_LEN) {
        sw_err_set(err, "SHA-256 failed in libcrypto");
        return -1;
    }
    for (unsigned int i = 0; i < md_len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }
    hex[SW_CHECKSUM_HEX_LEN] = '\0';
    return 0;
}
