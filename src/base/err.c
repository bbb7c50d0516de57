#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

void sw_err_set(sw_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}
