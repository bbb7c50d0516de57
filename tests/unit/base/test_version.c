/* Versions: parsing (integers, dotted, Flyway's underscores), normalisation, ordering part
 * by part as numbers, formatting. */
#include "base/version.h"
#include "tap.h"

#include <string.h>

static struct sw_version parse(const char *s, const char *seps)
{
    struct sw_version v = {.n = 0};
    const char *why = "";
    if (sw_version_parse(s, strlen(s), seps, &v, &why) < 0)
        TAP_OK(false, "'%s' parses (%s)", s, why);
    return v;
}

static void parses(const char *s, const char *seps, const char *shown, unsigned parts)
{
    char text[SW_VERSION_TEXT_MAX];
    struct sw_version v = parse(s, seps);
    TAP_OK(v.n == parts && strcmp(sw_version_format(&v, '.', text), shown) == 0,
           "'%s' is %s in %u parts (got %s in %u)", s, shown, parts, text, v.n);
}

static void refused(const char *s, const char *seps, const char *why_want)
{
    struct sw_version v = sw_version_of(99);
    const char *why = "";
    int rc = sw_version_parse(s, strlen(s), seps, &v, &why);
    TAP_OK(rc == -1 && strcmp(why, why_want) == 0 && v.part[0] == 99,
           "'%s' refused: %s (got %d, %s)", s, why_want, rc, why);
}

static int cmp(const char *a, const char *b)
{
    struct sw_version x = parse(a, "."), y = parse(b, ".");
    int c = sw_version_cmp(&x, &y);
    return c < 0 ? -1 : c > 0;
}

static void orders(const char *a, const char *b, int want)
{
    TAP_OK(cmp(a, b) == want && cmp(b, a) == -want, "%s %s %s", a,
           want < 0   ? "<"
           : want > 0 ? ">"
                      : "=",
           b);
}

int main(void)
{
    parses("0", ".", "0", 1);
    parses("42", ".", "42", 1);
    parses("0042", ".", "42", 1);
    parses("18446744073709551615", ".", "18446744073709551615", 1);
    parses("1.12.22", ".", "1.12.22", 3);
    parses("1_12_22", "._", "1.12.22", 3);
    parses("1.0", ".", "1", 1);
    parses("1.0.0.0", ".", "1", 1);
    parses("0.0", ".", "0", 1);
    parses("0.0.1", ".", "0.0.1", 3);
    parses("1.0.2", ".", "1.0.2", 3);
    parses("1.2.3.4.5.6.7.8", ".", "1.2.3.4.5.6.7.8", 8);
    parses("1,12,22", ",", "1.12.22", 3);

    refused("", ".", "not a version");
    refused("x", ".", "not a version");
    refused("1x", ".", "not a version");
    refused("-1", ".", "not a version");
    refused("1.", ".", "a part is empty");
    refused(".1", ".", "a part is empty");
    refused("1..2", ".", "a part is empty");
    refused("1_2", ".", "not a version");
    refused("1.2.3.4.5.6.7.8.9", ".", "more than 8 parts");
    refused("18446744073709551616", ".", "a part is larger than 18446744073709551615");

    orders("1.12.22", "1.9", 1);
    orders("1.10", "1.9", 1);
    orders("1.0", "1", 0);
    orders("1.0.0", "1", 0);
    orders("2", "1.999", 1);
    orders("1.0.1", "1", 1);
    orders("0", "0.0.1", -1);
    orders("0", "1", -1);
    orders("20240101120000", "20231231235959", 1);
    orders("18446744073709551615", "18446744073709551614.9", 1);

    char text[SW_VERSION_TEXT_MAX];
    struct sw_version v = parse("1.12.22", ".");
    TAP_OK(strcmp(sw_version_format(&v, ',', text), "1,12,22") == 0,
           "formatted for an array literal: %s", text);
    v = parse("18446744073709551615.18446744073709551615.18446744073709551615."
              "18446744073709551615.18446744073709551615.18446744073709551615."
              "18446744073709551615.18446744073709551615",
              ".");
    TAP_OK(strlen(sw_version_format(&v, '.', text)) == 8 * 21 - 1, "the longest version fits");
    struct sw_version zero = sw_version_of(0);
    TAP_OK(zero.n == 1 && strcmp(sw_version_format(&zero, '.', text), "0") == 0, "version 0");
    return tap_done();
}
