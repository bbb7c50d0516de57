/* Migration checksums: SHA-256 of the file content (CRLF normalised to LF), lower-case hex. */
#ifndef SLIPWAY_MIGRATE_CHECKSUM_H
#define SLIPWAY_MIGRATE_CHECKSUM_H

#include "base/err.h"

#include <stddef.h>

#define SW_CHECKSUM_HEX_LEN 64

/* hex receives SW_CHECKSUM_HEX_LEN digits and a NUL. Loads libcrypto on first use. */
int sw_checksum(const char *data, size_t len, char hex[SW_CHECKSUM_HEX_LEN + 1], sw_err *err);

/* The same, over data given in pieces, with the checksum of what was given so far available
 * at any point (a half-done no-transaction migration records the part it applied). */
struct sw_checksum_stream;
/* NULL with err set when libcrypto cannot be loaded or memory is short. */
struct sw_checksum_stream *sw_checksum_open(sw_err *err);
int sw_checksum_add(struct sw_checksum_stream *s, const char *data, size_t len, sw_err *err);
int sw_checksum_so_far(const struct sw_checksum_stream *s, char hex[SW_CHECKSUM_HEX_LEN + 1],
                       sw_err *err);
void sw_checksum_close(struct sw_checksum_stream *s); /* NULL is fine */

#endif
