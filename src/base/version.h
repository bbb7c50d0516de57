/* Migration versions (README "Migrations"): an unsigned integer (0 included) or Flyway's
 * dotted form, 1.12.22 (written 1_12_22 in a Flyway file name). Parts compare as numbers,
 * one by one, a missing part counting as 0: 1.12.22 > 1.9, and 1.0 = 1. Here in base/ and
 * not in migdir/ because the config parses `[database] requires` with it. */
#ifndef SLIPWAY_BASE_VERSION_H
#define SLIPWAY_BASE_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SW_VERSION_MAX_PARTS 8
/* Room for the text of any version: 8 parts of up to 20 digits, 7 separators, the NUL. */
#define SW_VERSION_TEXT_MAX (SW_VERSION_MAX_PARTS * 21)

/* Normalised: trailing zero parts are dropped (but one part always stays), so equal
 * versions have equal representations, and PostgreSQL's numeric[] order (a prefix sorts
 * first) agrees with sw_version_cmp. */
struct sw_version {
    uint64_t part[SW_VERSION_MAX_PARTS];
    unsigned n; /* 1..SW_VERSION_MAX_PARTS */
};

/* Parses s[0..len): digit groups separated by one of seps (e.g. "." or "._"). Returns 0, or
 * -1 with *why set to a static reason ("a part is empty", "more than 8 parts", "a part is
 * larger than 18446744073709551615", "not a version"). */
int sw_version_parse(const char *s, size_t len, const char *seps, struct sw_version *v,
                     const char **why);
/* The version of a single integer. */
struct sw_version sw_version_of(uint64_t n);
/* <0, 0, >0 like strcmp. */
int sw_version_cmp(const struct sw_version *a, const struct sw_version *b);
/* Writes the parts joined by sep ('.' for people, ',' inside a PostgreSQL array literal)
 * into buf (at least SW_VERSION_TEXT_MAX bytes) and returns buf. */
char *sw_version_format(const struct sw_version *v, char sep, char *buf);

/* The version as text ("1.12.22") in a value, for a message or an event field:
 * sw_version_text(&v).s lives until the end of the full expression. */
struct sw_version_text {
    char s[SW_VERSION_TEXT_MAX];
};
struct sw_version_text sw_version_text(const struct sw_version *v);

#endif
