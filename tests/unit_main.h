/* unit_main.h — the main() of a Check unit test: runs the suite make()
 * builds and gives make check its exit status. */
#ifndef HK_UNIT_MAIN_H
#define HK_UNIT_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int unit_main(Suite *(*make)(void))
{
    SRunner *sr = srunner_create(make());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
