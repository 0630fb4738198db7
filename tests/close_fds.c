/* close_fds.c — test workload: closes stderr and every descriptor from 3 to
 * 255 it did not open (as daemons do, and coreutils' close_stdout at exit),
 * then allocates and frees; the HAKMEM_STATS=1 table must still reach
 * HAKMEM_LOG's file. Exit 0. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    close(2);
    for (int fd = 3; fd < 256; fd++)
        close(fd);
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(32 + (size_t)i);
        if (!p)
            return 1;
        memset(p, i, 32);
        free(p);
    }
    return 0;
}
