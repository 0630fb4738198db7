# tests/tui/local.mk — hakmem-top's tests, included by the top Makefile.am after
# check_PROGRAMS, TESTS and EXTRA_DIST are set (they are appended to here).
# Check unit tests of the modules that need no terminal, each
# built twice (plain, and with AddressSanitizer and UBSan), and scripts that run
# hakmem-top against a traced process (-o, and in tmux).
# The Stacks panel's workload: known call sites (-g, frame pointers: named the
# same by every unwinder).
noinst_PROGRAMS += tests/stacks_target
tests_stacks_target_CFLAGS = $(AM_CFLAGS) -g -fno-omit-frame-pointer
TUI_UNIT = tests/tui/check_format tests/tui/check_model tests/tui/check_frame \
	tests/tui/check_replay tests/tui/check_stacks
TUI_UNIT_ASAN = tests/tui/check_format_asan tests/tui/check_model_asan \
	tests/tui/check_frame_asan tests/tui/check_replay_asan tests/tui/check_stacks_asan
if HAVE_CHECK
check_PROGRAMS += $(TUI_UNIT) $(TUI_UNIT_ASAN)
endif
TUI_TEST_SH = tests/tui/once.sh tests/tui/screen.sh tests/tui/replay.sh tests/tui/stacks.sh
TESTS += $(TUI_TEST_SH)
EXTRA_DIST += $(TUI_TEST_SH) tests/tui/lib.sh

TUI_UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TUI_ASAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TUI_UNIT_LIBS = $(TUI_LIBS) $(CHECK_LIBS)
TUI_FORMAT_SRC = tests/tui/check_format.c tui/format.c tui/top.h
TUI_MODEL_SRC = tests/tui/check_model.c tui/model.c tui/format.c tui/top.h
TUI_FRAME_SRC = tests/tui/check_frame.c $(TUI_SCREEN) $(TUI_CORE)
TUI_REPLAY_SRC = tests/tui/check_replay.c tui/replay.c $(TUI_CORE)
TUI_STACKS_SRC = tests/tui/check_stacks.c $(TUI_CORE)
tests_tui_check_stacks_SOURCES = $(TUI_STACKS_SRC)
tests_tui_check_stacks_asan_SOURCES = $(TUI_STACKS_SRC)
tests_tui_check_stacks_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_stacks_asan_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_stacks_CFLAGS = $(TUI_UNIT_CFLAGS)
tests_tui_check_stacks_asan_CFLAGS = $(TUI_UNIT_CFLAGS) $(TUI_ASAN)
tests_tui_check_stacks_asan_LDFLAGS = $(TUI_ASAN)
tests_tui_check_stacks_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_stacks_asan_LDADD = $(TUI_UNIT_LIBS)

tests_tui_check_format_SOURCES = $(TUI_FORMAT_SRC)
tests_tui_check_model_SOURCES = $(TUI_MODEL_SRC)
tests_tui_check_frame_SOURCES = $(TUI_FRAME_SRC)
tests_tui_check_replay_SOURCES = $(TUI_REPLAY_SRC)
tests_tui_check_format_asan_SOURCES = $(TUI_FORMAT_SRC)
tests_tui_check_model_asan_SOURCES = $(TUI_MODEL_SRC)
tests_tui_check_frame_asan_SOURCES = $(TUI_FRAME_SRC)
tests_tui_check_replay_asan_SOURCES = $(TUI_REPLAY_SRC)
tests_tui_check_format_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_model_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_frame_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_replay_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_format_asan_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_model_asan_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_frame_asan_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_replay_asan_CPPFLAGS = $(TUI_CPPFLAGS)
tests_tui_check_format_CFLAGS = $(TUI_UNIT_CFLAGS)
tests_tui_check_model_CFLAGS = $(TUI_UNIT_CFLAGS)
tests_tui_check_frame_CFLAGS = $(TUI_UNIT_CFLAGS)
tests_tui_check_replay_CFLAGS = $(TUI_UNIT_CFLAGS)
tests_tui_check_format_asan_CFLAGS = $(TUI_UNIT_CFLAGS) $(TUI_ASAN)
tests_tui_check_model_asan_CFLAGS = $(TUI_UNIT_CFLAGS) $(TUI_ASAN)
tests_tui_check_frame_asan_CFLAGS = $(TUI_UNIT_CFLAGS) $(TUI_ASAN)
tests_tui_check_replay_asan_CFLAGS = $(TUI_UNIT_CFLAGS) $(TUI_ASAN)
tests_tui_check_format_asan_LDFLAGS = $(TUI_ASAN)
tests_tui_check_model_asan_LDFLAGS = $(TUI_ASAN)
tests_tui_check_frame_asan_LDFLAGS = $(TUI_ASAN)
tests_tui_check_replay_asan_LDFLAGS = $(TUI_ASAN)
tests_tui_check_format_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_model_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_frame_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_replay_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_format_asan_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_model_asan_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_frame_asan_LDADD = $(TUI_UNIT_LIBS)
tests_tui_check_replay_asan_LDADD = $(TUI_UNIT_LIBS)
