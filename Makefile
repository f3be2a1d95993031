# cleak - one non-recursive Makefile.  `make`, `make check`, `make install`.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libdw libelf libunwind-generic json-c
VERSION := $(shell sed -n 's/^\#define CLEAK_VERSION "\(.*\)"/\1/p' lib/include/cleak.h)
SONAME := libcleak.so.0

CFLAGS ?= -O2 -g
# Rows of the option tables leave out the fields they do not need (cmd/cli.h).
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wshadow \
	-Wformat=2
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC \
	-Ilib/include -Ilib -Ibuild $(shell $(PKG_CONFIG) --cflags $(PKGS))
# libiberty's demangler (C++ and Rust) is only shipped as a static, PIC archive.
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS)) -liberty
SYSCALL_HEADER ?= $(firstword $(wildcard /usr/include/$(shell $(CC) -dumpmachine)/asm/unistd_64.h /usr/include/asm/unistd_64.h))

B := build
LIB_SRCS := $(wildcard lib/*.c lib/*/*.c)
CMD_SRCS := $(wildcard cmd/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
# Programs the tests and scripts/go-layout.sh run, built on the library.
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS := $(TOOL_SRCS:tests/tools/%.c=$(B)/tools/%)
FIXTURE_C := $(wildcard tests/fixtures/*.c)
FIXTURE_CXX := $(wildcard tests/fixtures/*.cc)
FIXTURES := $(FIXTURE_C:tests/fixtures/%.c=$(B)/fixtures/%) $(FIXTURE_CXX:tests/fixtures/%.cc=$(B)/fixtures/%)
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))

all: $(B)/cleak $(B)/$(SONAME) $(B)/libcleak.a

$(B)/syscall_names.h: $(SYSCALL_HEADER) scripts/gen-syscalls.sh
	@mkdir -p $(@D)
	sh scripts/gen-syscalls.sh $(SYSCALL_HEADER) > $@

$(B)/lib/syscalls.o: $(B)/syscall_names.h

$(B)/%.o: %.c lib/include/cleak.h $(wildcard lib/*.h lib/*/*.h) cmd/cli.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libcleak.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/$(SONAME): $(LIB_OBJS) lib/libcleak.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/libcleak.map \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(LIBS)
	ln -sf $(SONAME) $(B)/libcleak.so

$(B)/cleak: $(CMD_OBJS) $(B)/libcleak.a
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(B)/libcleak.a $(LIBS)

# Written at install time: it records PREFIX, which may differ from the build's.
PC_SED := 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|; s|@PKGS@|$(PKGS)|'

# Test programs: unit tests link the library; fixtures are targets to inspect.
$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libcleak.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libcleak.a $(LIBS)

$(B)/tools/%: tests/tools/%.c $(B)/libcleak.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libcleak.a $(LIBS)

FIXTURE_CFLAGS := -O1 -g -pthread
$(B)/fixtures/fp-callers: FIXTURE_CFLAGS := -O0 -g -pthread -fno-omit-frame-pointer
$(B)/fixtures/rbp-frames: FIXTURE_CFLAGS := -O2 -g -pthread -fomit-frame-pointer
# Traps for the same search; its library calls itself through its PLT.
$(B)/fixtures/librbp-api.so: tests/fixtures/lib/rbp-api.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -fPIC -shared -fomit-frame-pointer -o $@ $<
$(B)/fixtures/rbp-traps: tests/fixtures/rbp-traps.c $(B)/fixtures/librbp-api.so
	@mkdir -p $(@D)
	$(CC) -O2 -g -pthread -fomit-frame-pointer -Wl,-z,now -o $@ $< \
		-L$(B)/fixtures -lrbp-api -Wl,-rpath,'$$ORIGIN'
# The same fixture linked statically and as a non-PIE executable.
$(B)/fixtures/threads-static: tests/fixtures/threads.c
	@mkdir -p $(@D)
	$(CC) $(FIXTURE_CFLAGS) -static -o $@ $<
$(B)/fixtures/threads-nopie: tests/fixtures/threads.c
	@mkdir -p $(@D)
	$(CC) $(FIXTURE_CFLAGS) -no-pie -fno-pie -o $@ $<
# Code without .eh_frame: CFI only in .debug_frame; and no CFI at all,
# where only the frame-pointer chain is left.
NO_EH := -fno-asynchronous-unwind-tables -fno-unwind-tables
$(B)/fixtures/threads-debugframe: tests/fixtures/threads.c
	@mkdir -p $(@D)
	$(CC) $(FIXTURE_CFLAGS) $(NO_EH) -o $@ $<
$(B)/fixtures/threads-fponly: tests/fixtures/threads.c
	@mkdir -p $(@D)
	$(CC) $(FIXTURE_CFLAGS) $(NO_EH) -fno-omit-frame-pointer -o $@ $<
	objcopy --remove-section=.debug_frame $@
FIXTURES += $(B)/fixtures/threads-static $(B)/fixtures/threads-nopie \
	$(B)/fixtures/threads-debugframe $(B)/fixtures/threads-fponly
$(B)/fixtures/%: tests/fixtures/%.c
	@mkdir -p $(@D)
	$(CC) $(FIXTURE_CFLAGS) -o $@ $<
$(B)/fixtures/%: tests/fixtures/%.cc
	@mkdir -p $(@D)
	$(CXX) $(FIXTURE_CFLAGS) -o $@ $<

$(B)/examples/%: examples/%.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -pthread -o $@ $<

check: all $(UNIT_BINS) $(TOOLS) $(FIXTURES) $(EXAMPLES) go-fixtures
	python3 tests/run.py

# The Go fixtures, built with each Go release cleak has tables for (cleak.h).
go-fixtures:
	sh scripts/go-fixtures.sh

demo: all $(EXAMPLES)
	sh scripts/demo.sh

bench: all $(EXAMPLES) $(B)/fixtures/many-threads
	sh bench/stack.sh

# 100,000 goroutines: cleak stack against the Go runtime's own dump.
bench-go: all
	python3 bench/go.py

bench-leaks: all
	python3 bench/leaks.py

# A Go 1.27 program read with cleak's table, its DWARF, and checked.
bench-releases: all
	python3 bench/releases.py

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(B)/cleak $(DESTDIR)$(BINDIR)/cleak
	install -m 755 $(B)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libcleak.so
	install -m 644 $(B)/libcleak.a $(DESTDIR)$(LIBDIR)/libcleak.a
	install -m 644 lib/include/cleak.h $(DESTDIR)$(INCLUDEDIR)/cleak.h
	sed -e $(PC_SED) lib/libcleak.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libcleak.pc
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 completions/cleak.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/cleak
	install -m 644 completions/_cleak $(DESTDIR)$(DATADIR)/zsh/site-functions/_cleak
	install -m 644 completions/cleak.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/cleak.fish

clean:
	rm -rf $(B)

.PHONY: bench-go bench-leaks bench-releases go-fixtures all check demo bench install clean
