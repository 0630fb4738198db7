# tui/local.mk — build rules of hakmem-top, included by the top Makefile.am. Its
# tests are in tests/tui/local.mk (included after TESTS and check_PROGRAMS are set).
bin_PROGRAMS += tui/hakmem-top
dist_man_MANS += tui/hakmem-top.1
TUI_CORE = tui/format.c tui/model.c tui/stacks.c tui/text.c tui/top.h
TUI_SCREEN = tui/keys.c tui/panels.c tui/draw.c
tui_hakmem_top_SOURCES = tui/main.c tui/source.c tui/replay.c $(TUI_SCREEN) $(TUI_CORE)
TUI_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tui -I$(top_srcdir)/cli $(NCURSES_CFLAGS) \
	$(SQLITE_CFLAGS)
tui_hakmem_top_CPPFLAGS = $(TUI_CPPFLAGS) -DTOP_LIBDIR='"$(libdir)"'
# --replay reads recorded runs through the store of cli/ (cli/store.h), in cli/libhktrace.la.
TUI_LIBS = cli/libhktrace.la lib/libhakmem-reader.la $(NCURSES_LIBS) $(SQLITE_LIBS) -lpthread
tui_hakmem_top_LDADD = $(TUI_LIBS)
