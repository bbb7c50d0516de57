#include "base/stdfds.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int hold(int fd)
{
    int placeholder = open("/", O_PATH | O_CLOEXEC);

    if (placeholder < 0 || placeholder == fd)
        return placeholder < 0 ? -1 : 0;
    /* Only when a lower descriptor was taken meanwhile; 0-2 are filled in order, so not. */
    if (dup3(placeholder, fd, O_CLOEXEC) < 0) {
        int e = errno;
        close(placeholder);
        errno = e;
        return -1;
    }
    return close(placeholder);
}

int sw_stdfds_hold(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && hold(fd) < 0)
            return -1;
    return 0;
}
