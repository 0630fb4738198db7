# cli/local.mk — build rules of hakmem-trace (cli/) and its schema (schema/), included by
# the top Makefile.am. Its tests are in tests/cli/local.mk.
bin_PROGRAMS += cli/hakmem-trace
dist_man_MANS += cli/hakmem-trace.1

# Everything but main() in a convenience library the unit tests link too.
noinst_LTLIBRARIES += cli/libhktrace.la
CLI_SRC = cli/cli.h cli/util.c cli/db.c cli/batch.c cli/sink.c cli/table.c cli/tally.c cli/heapprof.c cli/drain.c \
	cli/follow.c cli/occupancy.c cli/symbols.c cli/stacks.c cli/session.c cli/record.c \
	cli/attach.c cli/ls.c cli/format.c cli/named.c cli/query.c cli/report.c cli/profile.c cli/verdict.c cli/diff.c \
	cli/export.c cli/counters.c \
	cli/ingest.c cli/store.h cli/store.c
cli_libhktrace_la_SOURCES = $(CLI_SRC)
nodist_cli_libhktrace_la_SOURCES = cli/sql.c
cli_libhktrace_la_CPPFLAGS = $(AM_CPPFLAGS) -DHK_LIBDIR='"$(libdir)"'
cli_libhktrace_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(DW_CFLAGS)
# libdw: file:line of stored frames (symbols.c), when configure found it.
cli_libhktrace_la_LIBADD = $(DW_LIBS)
cli_hakmem_trace_SOURCES = cli/main.c cli/cli.h
cli_hakmem_trace_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
cli_hakmem_trace_LDADD = cli/libhktrace.la lib/libhakmem-reader.la $(SQLITE_LIBS) -lpthread

# The schema and the named queries are compiled in (and installed for reading):
# each line becomes a C string literal.
schemadir = $(pkgdatadir)/schema
dist_schema_DATA = schema/schema.sql schema/queries.sql
CLI_EMBED = sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/'
cli/sql.c: $(srcdir)/schema/schema.sql $(srcdir)/schema/queries.sql
	$(AM_V_GEN)$(MKDIR_P) cli && { \
	  echo '/* sql.c — generated from schema/schema.sql and schema/queries.sql; do not edit. */'; \
	  echo 'const char hk_schema_sql[] ='; $(CLI_EMBED) $(srcdir)/schema/schema.sql; echo ';'; \
	  echo 'const char hk_queries_sql[] ='; $(CLI_EMBED) $(srcdir)/schema/queries.sql; echo ';'; \
	} >$@-t && mv -f $@-t $@
MOSTLYCLEANFILES = cli/sql.c cli/sql.c-t

# make bench-cli: the ingest rate (events/s) of a 2-million-event segment and the time
# of `report` on a 10-million-event database, against the bounds of the issue
# (1,000,000 events/s, 5 s). Its segment generator is built by tests/cli/local.mk.
bench-cli: cli/hakmem-trace$(EXEEXT) tests/cli/mkseg$(EXEEXT)
	$(SHELL) $(top_srcdir)/tests/cli/bench.sh '$(abs_top_builddir)'
.PHONY: bench-cli
