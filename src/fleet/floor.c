#include "fleet/floor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* to_jsonb prints a numeric[] as "[1, 12]": back to "{1,12}". */
#define FLOOR_TEXT "translate(to_jsonb(h)->>'contract_floor', '[] ', '{}')"

char *sw_floor_sql(const char *name, const char *qtable)
{
    char *sql;

    if (asprintf(&sql,
                 "(SELECT '%s', version::text || ' ' || " FLOOR_TEXT " FROM %s AS h WHERE "
                 "success AND " FLOOR_TEXT " IS NOT NULL ORDER BY " FLOOR_TEXT
                 "::numeric[] DESC LIMIT 1)",
                 name, qtable) < 0)
        return NULL;
    return sql;
}

/* "{1,12}" or "12" into v; false when it is neither. */
static bool parse_array(const char *s, size_t len, struct sw_version *v)
{
    const char *why;

    if (len >= 2 && s[0] == '{' && s[len - 1] == '}') {
        s++;
        len -= 2;
    }
    return sw_version_parse(s, len, ",", v, &why) == 0;
}

bool sw_floor_breaks(const char *value, const struct sw_version *requires, char *line, size_t size)
{
    const char *space = value ? strchr(value, ' ') : NULL;
    char at[SW_VERSION_TEXT_MAX], needs[SW_VERSION_TEXT_MAX], mine[SW_VERSION_TEXT_MAX];
    struct sw_version version, floor;

    if (!space || !parse_array(value, (size_t)(space - value), &version) ||
        !parse_array(space + 1, strlen(space + 1), &floor) || sw_version_cmp(requires, &floor) >= 0)
        return false;
    snprintf(line, size,
             "database: contracted at %s past this image (needs >= %s, this image "
             "requires %s)",
             sw_version_format(&version, '.', at), sw_version_format(&floor, '.', needs),
             sw_version_format(requires, '.', mine));
    return true;
}
