/* Migration checksums: SHA-256 of the file content (CRLF normalised to LF), lower-case hex. */
#ifndef SLIPWAY_MIGRATE_CHECKSUM_H
#define SLIPWAY_MIGRATE_CHECKSUM_H

#include "base/err.h"

#include <stddef.h>

#define SW_CHECKSUM_HEX_LEN 64

/* hex receives SW_CHECKSUM_HEX_LEN digits and a NUL. Loads libcrypto on first use. */
int sw_checksum(const char *data, size_t len, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err);

#endif
