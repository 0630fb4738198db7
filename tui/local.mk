# tui/local.mk — build rules of hakmem-top, included by the top Makefile.am.
