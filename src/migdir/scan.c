#include "migdir/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any real project: a bind-mount loop must end somewhere. */
#define MAX_DEPTH 32

struct walk {
    const char *top;
    sw_scan_cb cb;
    void *arg;
    sw_err *err;
    int depth;
    char path[PATH_MAX];
};

enum kind { KIND_FILE, KIND_DIR, KIND_LINKED_DIR };

/* Sub-directories are scanned, links to directories are not (as Flyway's file system scan:
 * Files.walk without FOLLOW_LINKS), links to files are files. d_type is DT_UNKNOWN on some
 * file systems: then ask lstat/stat. */
static enum kind kind_of(int dirfd, const struct dirent *e)
{
    struct stat st;

    if (e->d_type == DT_DIR)
        return KIND_DIR;
    if (e->d_type == DT_REG)
        return KIND_FILE;
    if (e->d_type == DT_UNKNOWN && fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode))
        return KIND_DIR;
    if (fstatat(dirfd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode))
        return KIND_LINKED_DIR;
    return KIND_FILE;
}

static int walk_dir(struct walk *w, int fd, size_t path_len);

static int fail(struct walk *w, const char *what, int errnum)
{
    sw_err_set(w->err, "migrations dir '%s': %s%s%s", w->top, w->path, *w->path ? ": " : "",
               what ? what : strerror(errnum));
    return -1;
}

/* Enters sub-directory name of fd; its path in w->path ends at path_len. */
static int descend(struct walk *w, int fd, const char *name, size_t path_len)
{
    if (w->depth == MAX_DEPTH)
        return fail(w, "sub-directories nested too deep", 0);

    int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return fail(w, NULL, errno);
    w->depth++;
    int rc = walk_dir(w, sub, path_len); /* closes sub */
    w->depth--;
    return rc;
}

static int visit(struct walk *w, int fd, const struct dirent *e, size_t path_len)
{
    if (e->d_name[0] == '.')
        return 0;

    int n = snprintf(w->path + path_len, sizeof w->path - path_len, "%s%s", path_len ? "/" : "",
                     e->d_name);
    size_t len = path_len + (size_t)n;
    if (n < 0 || len >= sizeof w->path)
        return fail(w, "path too long", 0);
    switch (kind_of(fd, e)) {
    case KIND_DIR:
        return descend(w, fd, e->d_name, len);
    case KIND_LINKED_DIR:
        return 0;
    case KIND_FILE:
        break;
    }
    return w->cb(fd, e->d_name, w->path, w->arg, w->err);
}

/* Reads the directory open as fd (and closes it); its path is w->path[0..path_len). */
static int walk_dir(struct walk *w, int fd, size_t path_len)
{
    DIR *d = fdopendir(fd);
    int rc = 0;

    w->path[path_len] = '\0';
    if (!d) {
        close(fd);
        return fail(w, NULL, errno);
    }
    while (rc == 0) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            w->path[path_len] = '\0';
            if (errno != 0)
                rc = fail(w, NULL, errno);
            break;
        }
        rc = visit(w, dirfd(d), e, path_len);
    }
    closedir(d);
    return rc;
}

int sw_scan_dir(const char *dir, sw_scan_cb cb, void *arg, sw_err *err)
{
    struct walk w = {.top = dir, .cb = cb, .arg = arg, .err = err};
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0) {
        int saved = errno;
        sw_err_set(err, "migrations dir '%s': %s", dir, strerror(saved));
        errno = saved;
        return -1;
    }
    return walk_dir(&w, fd, 0);
}
