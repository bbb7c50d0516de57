#include "base/dynload.h"

#include <dlfcn.h>

int sw_dynload(const char *soname, const char *package, const struct sw_dynsym *symbols, size_t n,
               void *table, sw_err *err)
{
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

    if (!handle) {
        sw_err_set(err, "cannot load %s: %s (install %s)", soname, dlerror(), package);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        void *fn = dlsym(handle, symbols[i].name);
        if (!fn) {
            sw_err_set(err, "cannot load %s: no symbol %s (install a newer %s)", soname,
                       symbols[i].name, package);
            dlclose(handle);
            return -1;
        }
        *(void **)((char *)table + symbols[i].offset) = fn;
    }
    return 0;
}
