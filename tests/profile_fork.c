/* profile_fork.c — the heap profiler across fork: the child samples into its own
 * segment (1000 allocations and frees at one site, and the free of a block its
 * parent allocated, whose alloc event is in the parent's), the parent keeps
 * sampling after the fork. Prints "parent PID child PID". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void *child_site(size_t n)
{
    return malloc(n);
}

int main(void)
{
    void *volatile keep = malloc(100);
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) {
        perror("profile_fork: fork");
        return 1;
    }
    if (p == 0) {
        for (int i = 0; i < 1000; i++) {
            void *volatile q = child_site(64);
            free(q);
        }
        free(keep);
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    void *volatile after = malloc(200);
    free(after);
    free(keep);
    printf("parent %d child %d\n", (int)getpid(), (int)p);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
