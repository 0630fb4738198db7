# cli/local.mk — build rules of hakmem-trace, included by the top Makefile.am.
