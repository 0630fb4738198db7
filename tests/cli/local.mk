# tests/cli/local.mk — tests of hakmem-trace: Check unit tests per cli/ module (built
# twice: plain, and with AddressSanitizer + UBSan), integration scripts, the
# synthetic segment tool, sanitized hakmem-trace and hakmem-top for fuzz.sh, and
# `make bench-cli`. Included at the end of Makefile.am (it appends to
# noinst_PROGRAMS, check_PROGRAMS, TESTS, CLEANFILES and EXTRA_DIST).

CLI_UNIT = tests/cli/check_util tests/cli/check_db tests/cli/check_format \
	tests/cli/check_named tests/cli/check_sink tests/cli/check_report \
	tests/cli/check_verdict tests/cli/check_symbols tests/cli/check_follow \
	tests/cli/check_table tests/cli/check_blockmap tests/cli/check_drain tests/cli/check_reader \
	tests/cli/check_bounds tests/cli/check_heapprof tests/cli/check_intern \
	tests/cli/check_outfile tests/cli/check_buildid tests/cli/check_profdata \
	tests/cli/check_svg tests/cli/check_debugcache
CLI_UNIT_ASAN = $(CLI_UNIT:=_asan)
CLI_CHECKS_SH = tests/cli/errors.sh tests/cli/roundtrip.sh tests/cli/policies.sh \
	tests/cli/seed_lru.sh tests/cli/fuzz.sh tests/cli/kill.sh tests/cli/readonly.sh \
	tests/cli/live.sh tests/cli/verdicts.sh tests/cli/endstate.sh \
	tests/cli/crafted.sh tests/cli/frames.sh tests/cli/export.sh tests/cli/ingest_twice.sh \
	tests/cli/stage_names.sh tests/cli/readme_queries.sh \
	tests/cli/follow.sh tests/cli/replay_live.sh tests/cli/profile.sh \
	tests/cli/profile_record.sh tests/cli/export_profile.sh tests/cli/diff_profile.sh \
	tests/cli/heaptrack_agree.sh tests/cli/html.sh

# mkseg writes synthetic segments for the scripts and for make bench-cli (cli/local.mk).
noinst_PROGRAMS += tests/cli/mkseg
tests_cli_mkseg_SOURCES = tests/cli/mkseg.c
tests_cli_mkseg_LDADD = lib/libhakmem-reader.la
# replay_counters compares a run's counters rebuilt from its events with its live ones
# (replay_live.sh).
noinst_PROGRAMS += tests/cli/replay_counters
tests_cli_replay_counters_SOURCES = tests/cli/replay_counters.c
tests_cli_replay_counters_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) -I$(top_srcdir)/cli
tests_cli_replay_counters_LDADD = cli/libhktrace.la lib/libhakmem-reader.la $(SQLITE_LIBS) -lpthread
$(CLI_CHECKS_SH:.sh=.sh.log): tests/cli/mkseg$(EXEEXT) tests/cli/replay_counters$(EXEEXT) \
	cli/hakmem-trace$(EXEEXT) tui/hakmem-top$(EXEEXT)
CLI_PROFILE_LOG = tests/cli/profile_record.sh.log tests/cli/export_profile.sh.log tests/cli/diff_profile.sh.log \
	tests/cli/heaptrack_agree.sh.log # through a variable: automake keeps its own rule
$(CLI_PROFILE_LOG): tests/profile_sites$(EXEEXT)
if HAVE_CHECK
check_PROGRAMS += $(CLI_UNIT) $(CLI_UNIT_ASAN)
check_LTLIBRARIES += cli/libhktrace-asan.la lib/libhakmem-reader-asan.la
# hakmem-trace and hakmem-top sanitized, for fuzz.sh (programs, not tests: EXTRA_)
EXTRA_PROGRAMS = tests/cli/hakmem-trace-asan tests/cli/hakmem-top-asan
CLI_FUZZ_LOG = tests/cli/fuzz.sh.log # through a variable: automake keeps its own rule
$(CLI_FUZZ_LOG): $(EXTRA_PROGRAMS)
CLEANFILES += $(EXTRA_PROGRAMS)
endif
TESTS += $(CLI_CHECKS_SH)
EXTRA_DIST += $(CLI_CHECKS_SH) tests/cli/common.sh tests/cli/heaptrack_sites.py

# The cli/ code once more, sanitized, for the _asan unit tests.
CLI_ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
cli_libhktrace_asan_la_SOURCES = $(CLI_SRC)
nodist_cli_libhktrace_asan_la_SOURCES = $(CLI_GENERATED)
cli_libhktrace_asan_la_CPPFLAGS = $(cli_libhktrace_la_CPPFLAGS)
cli_libhktrace_asan_la_CFLAGS = $(cli_libhktrace_la_CFLAGS) $(CLI_ASAN_FLAGS)
cli_libhktrace_asan_la_LIBADD = $(cli_libhktrace_la_LIBADD)
# and libhakmem-reader, compiled into every sanitized test and program.
lib_libhakmem_reader_asan_la_SOURCES = $(lib_libhakmem_reader_la_SOURCES)
lib_libhakmem_reader_asan_la_CFLAGS = $(AM_CFLAGS) $(CLI_ASAN_FLAGS)
tests_cli_hakmem_trace_asan_SOURCES = $(cli_hakmem_trace_SOURCES)
tests_cli_hakmem_trace_asan_CFLAGS = $(cli_hakmem_trace_CFLAGS) $(CLI_ASAN_FLAGS)
tests_cli_hakmem_trace_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_hakmem_trace_asan_LDADD = cli/libhktrace-asan.la lib/libhakmem-reader-asan.la \
	$(SQLITE_LIBS) -lpthread
tests_cli_hakmem_top_asan_SOURCES = $(tui_hakmem_top_SOURCES)
tests_cli_hakmem_top_asan_CPPFLAGS = $(tui_hakmem_top_CPPFLAGS)
tests_cli_hakmem_top_asan_CFLAGS = $(AM_CFLAGS) $(CLI_ASAN_FLAGS)
tests_cli_hakmem_top_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_hakmem_top_asan_LDADD = cli/libhktrace-asan.la lib/libhakmem-reader-asan.la \
	$(NCURSES_LIBS) $(SQLITE_LIBS) -lpthread

CLI_UNIT_FLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/cli
CLI_UNIT_LIBS = cli/libhktrace.la lib/libhakmem-reader.la $(SQLITE_LIBS) $(CHECK_LIBS) -lpthread
CLI_ASAN_LIBS = cli/libhktrace-asan.la lib/libhakmem-reader-asan.la $(SQLITE_LIBS) \
	$(CHECK_LIBS) -lpthread
# One block per unit test: plain and sanitized.
tests_cli_check_util_SOURCES = tests/cli/check_util.c tests/cli/unit.h
tests_cli_check_util_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_util_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_util_asan_SOURCES = $(tests_cli_check_util_SOURCES)
tests_cli_check_util_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_util_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_util_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_db_SOURCES = tests/cli/check_db.c tests/cli/unit.h
tests_cli_check_db_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_db_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_db_asan_SOURCES = $(tests_cli_check_db_SOURCES)
tests_cli_check_db_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_db_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_db_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_format_SOURCES = tests/cli/check_format.c tests/cli/unit.h
tests_cli_check_format_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_format_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_format_asan_SOURCES = $(tests_cli_check_format_SOURCES)
tests_cli_check_format_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_format_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_format_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_named_SOURCES = tests/cli/check_named.c tests/cli/unit.h
tests_cli_check_named_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_named_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_named_asan_SOURCES = $(tests_cli_check_named_SOURCES)
tests_cli_check_named_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_named_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_named_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_sink_SOURCES = tests/cli/check_sink.c tests/cli/unit.h
tests_cli_check_sink_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_sink_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_sink_asan_SOURCES = $(tests_cli_check_sink_SOURCES)
tests_cli_check_sink_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_sink_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_sink_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_report_SOURCES = tests/cli/check_report.c tests/cli/unit.h
tests_cli_check_report_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_report_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_report_asan_SOURCES = $(tests_cli_check_report_SOURCES)
tests_cli_check_report_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_report_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_report_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_verdict_SOURCES = tests/cli/check_verdict.c tests/cli/unit.h
tests_cli_check_verdict_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_verdict_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_verdict_asan_SOURCES = $(tests_cli_check_verdict_SOURCES)
tests_cli_check_verdict_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_verdict_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_verdict_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_symbols_SOURCES = tests/cli/check_symbols.c tests/cli/unit.h
tests_cli_check_symbols_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_symbols_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_symbols_asan_SOURCES = $(tests_cli_check_symbols_SOURCES)
tests_cli_check_symbols_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_symbols_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_symbols_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_follow_SOURCES = tests/cli/check_follow.c tests/cli/unit.h
tests_cli_check_follow_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_follow_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_follow_asan_SOURCES = $(tests_cli_check_follow_SOURCES)
tests_cli_check_follow_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_follow_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_follow_asan_LDADD = $(CLI_ASAN_LIBS)

tests_cli_check_table_SOURCES = tests/cli/check_table.c tests/cli/unit.h
tests_cli_check_table_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_table_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_table_asan_SOURCES = $(tests_cli_check_table_SOURCES)
tests_cli_check_table_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_table_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_table_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_blockmap_SOURCES = tests/cli/check_blockmap.c tests/cli/unit.h
tests_cli_check_blockmap_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_blockmap_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_blockmap_asan_SOURCES = $(tests_cli_check_blockmap_SOURCES)
tests_cli_check_blockmap_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_blockmap_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_blockmap_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_drain_SOURCES = tests/cli/check_drain.c tests/cli/unit.h
tests_cli_check_drain_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_drain_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_drain_asan_SOURCES = $(tests_cli_check_drain_SOURCES)
tests_cli_check_drain_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_drain_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_drain_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_reader_SOURCES = tests/cli/check_reader.c tests/cli/unit.h
tests_cli_check_reader_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_reader_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_reader_asan_SOURCES = $(tests_cli_check_reader_SOURCES)
tests_cli_check_reader_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_reader_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_reader_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_bounds_SOURCES = tests/cli/check_bounds.c tests/cli/unit.h
tests_cli_check_bounds_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_bounds_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_bounds_asan_SOURCES = $(tests_cli_check_bounds_SOURCES)
tests_cli_check_bounds_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_bounds_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_bounds_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_heapprof_SOURCES = tests/cli/check_heapprof.c tests/cli/unit.h
tests_cli_check_heapprof_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_heapprof_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_heapprof_asan_SOURCES = $(tests_cli_check_heapprof_SOURCES)
tests_cli_check_heapprof_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_heapprof_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_heapprof_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_intern_SOURCES = tests/cli/check_intern.c tests/cli/unit.h
tests_cli_check_intern_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_intern_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_intern_asan_SOURCES = $(tests_cli_check_intern_SOURCES)
tests_cli_check_intern_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_intern_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_intern_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_outfile_SOURCES = tests/cli/check_outfile.c tests/cli/unit.h
tests_cli_check_outfile_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_outfile_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_outfile_asan_SOURCES = $(tests_cli_check_outfile_SOURCES)
tests_cli_check_outfile_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_outfile_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_outfile_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_svg_SOURCES = tests/cli/check_svg.c tests/cli/unit.h
tests_cli_check_svg_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_svg_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_svg_asan_SOURCES = $(tests_cli_check_svg_SOURCES)
tests_cli_check_svg_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_svg_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_svg_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_buildid_SOURCES = tests/cli/check_buildid.c tests/cli/unit.h
tests_cli_check_buildid_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_buildid_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_buildid_asan_SOURCES = $(tests_cli_check_buildid_SOURCES)
tests_cli_check_buildid_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_buildid_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_buildid_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_debugcache_SOURCES = tests/cli/check_debugcache.c tests/cli/unit.h
tests_cli_check_debugcache_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_debugcache_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_debugcache_asan_SOURCES = $(tests_cli_check_debugcache_SOURCES)
tests_cli_check_debugcache_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_debugcache_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_debugcache_asan_LDADD = $(CLI_ASAN_LIBS)
tests_cli_check_profdata_SOURCES = tests/cli/check_profdata.c tests/cli/unit.h
tests_cli_check_profdata_CFLAGS = $(CLI_UNIT_FLAGS)
tests_cli_check_profdata_LDADD = $(CLI_UNIT_LIBS)
tests_cli_check_profdata_asan_SOURCES = $(tests_cli_check_profdata_SOURCES)
tests_cli_check_profdata_asan_CFLAGS = $(CLI_UNIT_FLAGS) $(CLI_ASAN_FLAGS)
tests_cli_check_profdata_asan_LDFLAGS = $(CLI_ASAN_FLAGS)
tests_cli_check_profdata_asan_LDADD = $(CLI_ASAN_LIBS)

EXTRA_DIST += tests/cli/bench.sh tests/cli/bench_profile.sql
