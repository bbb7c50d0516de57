/* `slipway health`: the container healthcheck. Asks the supervisor over health_socket when
 * one runs in this container (no database connection at all), else checks the database
 * itself. Exits 0 or 1 only: Docker reserves every other code. */
#include "health/healthcmd.h"

#include "base/exitcodes.h"
#include "base/log.h"
#include "health/health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A supervisor re-checking a stale answer needs at most connect_timeout; this is only the
 * guard against one that hangs. */
#define ANSWER_TIMEOUT_S 30

/* Connects to the supervisor's socket; -1 with errno when none can be asked there. */
static int connect_supervisor(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {ANSWER_TIMEOUT_S, 0};
    int fd;

    if (!path || strlen(path) >= sizeof addr.sun_path) {
        errno = path ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The answer is "0 line\n" or "1 line\n". */
static int ask_supervisor(int fd)
{
    char buf[1024];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            printf("unhealthy: the supervisor did not answer (%s)\n", strerror(errno));
            return SW_EXIT_FAIL;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (len < 2 || (buf[0] != '0' && buf[0] != '1') || buf[1] != ' ') {
        printf("unhealthy: unexpected answer from the supervisor\n");
        return SW_EXIT_FAIL;
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("%s\n", buf + 2);
    return buf[0] == '0' ? SW_EXIT_OK : SW_EXIT_FAIL;
}

int sw_health_main(const struct sw_config *cfg)
{
    struct sw_requirements req;
    struct sw_health h;
    sw_err err;
    int fd = connect_supervisor(cfg->serve.health_socket), code;

    if (fd >= 0) {
        code = ask_supervisor(fd);
        close(fd);
        return code;
    }
    /* No socket, or a stale one: no supervisor runs here, asking the database is the plan.
     * Anything else (EACCES...) hides a supervisor we could not reach: say so. */
    if (errno != ENOENT && errno != ECONNREFUSED)
        sw_warn("cannot ask the supervisor at %s (%s); asking the database directly",
                cfg->serve.health_socket, strerror(errno));
    if (sw_requirements_load(&req, cfg, &err) < 0) {
        printf("unhealthy: %s\n", err.msg);
        return SW_EXIT_FAIL;
    }
    sw_health_check_direct(cfg, &req, &h);
    sw_requirements_free(&req);
    printf("%s\n", h.line);
    return h.healthy ? SW_EXIT_OK : SW_EXIT_FAIL;
}
