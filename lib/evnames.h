/* evnames.h — the event types' names as a table indexed by type, expanded
 * from HAKMEM_EVENT_LIST (hakmem_defs.h) for libhakmem-reader's
 * hakmem_event_type_name; elsewhere hakmem_event_name() says the same. */
#ifndef HK_EVNAMES_H
#define HK_EVNAMES_H

#include "hakmem_segment.h"

#define HK_EV_NAME_(id, NAME, name, meaning) [id] = #name,
static const char *const hk_ev_names[HAKMEM_EV_COUNT] = { HAKMEM_EVENT_LIST(HK_EV_NAME_) };
#undef HK_EV_NAME_

#endif
