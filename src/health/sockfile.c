#include "health/sockfile.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* True when something accepts connections on the socket at path. A non-blocking connect to a
 * unix socket completes at once: 0 (or EAGAIN, backlog full: alive and busy) or ECONNREFUSED. */
static bool live(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd, rc;

    if (strlen(path) >= sizeof addr.sun_path)
        return false;
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    rc = rc == 0 || errno == EAGAIN;
    close(fd);
    return rc;
}

static int make_directory(const char *path, sw_err *err)
{
    char *copy = strdup(path);
    const char *dir;
    int rc = 0;

    if (!copy) {
        sw_err_set(err, "out of memory");
        return -1;
    }
    dir = dirname(copy);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        sw_err_set(err, "cannot create its directory %s: %s", dir, strerror(errno));
        rc = -1;
    }
    free(copy);
    return rc;
}

int sw_sockfile_prepare(const char *path, sw_err *err)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        if (errno != ENOENT && errno != ENOTDIR) {
            sw_err_set(err, "%s", strerror(errno));
            return -1;
        }
        return make_directory(path, err);
    }
    if (!S_ISSOCK(st.st_mode)) {
        sw_err_set(err, "exists and is not a socket; left as it is");
        return -1;
    }
    if (live(path)) {
        sw_err_set(err, "another process (another slipway?) answers on it; left to it");
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        sw_err_set(err, "cannot remove the stale socket: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int sw_sockfile_own(struct sw_sockfile *f, const char *path, sw_err *err)
{
    struct stat st;

    if (lstat(path, &st) < 0) {
        sw_err_set(err, "%s", strerror(errno));
        return -1;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->ours = true;
    if (chmod(path, 0666) < 0) {
        sw_err_set(err, "chmod: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void sw_sockfile_remove(const struct sw_sockfile *f, const char *path)
{
    struct stat st;

    if (f->ours && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == f->dev &&
        st.st_ino == f->ino)
        unlink(path);
}
