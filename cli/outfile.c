/* outfile.c — an output file written whole or not at all: a temporary beside
 * it, renamed over it once every byte is written, removed on failure. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

int hk_outfile_open(struct hk_outfile *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    o->path = path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* /dev/null, a FIFO: as it is */
        if (!(o->f = fopen(path, "w")))
            return hk_fail(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.XXXXXX", path) >= sizeof o->tmp)
        return hk_fail(err, errlen, "cannot write %s: the name is too long", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = '\0';
        return hk_fail(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return hk_fail(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int hk_outfile_close(struct hk_outfile *o, int ok, char *err, size_t errlen)
{
    if (!o->f)
        return ok ? 0 : -1;
    int bad = ferror(o->f);
    int e = 0;
    if (o->f == stdout)
        bad |= fflush(stdout) != 0;
    else
        bad |= fclose(o->f) != 0;
    e = errno;
    o->f = NULL;
    if (ok && !bad && o->tmp[0] && rename(o->tmp, o->path) != 0) {
        e = errno;
        bad = 1;
    }
    if ((!ok || bad) && o->tmp[0])
        unlink(o->tmp);
    o->tmp[0] = '\0';
    if (ok && bad)
        return o->path ? hk_fail(err, errlen, "cannot write %s: %s", o->path, strerror(e ? e : EIO))
                       : hk_fail(err, errlen, "cannot write to stdout");
    return ok ? 0 : -1;
}
