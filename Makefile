# mailout — plain Makefile.  `make` builds ./mailout; `make test` runs every
# test (installing what they need first); `make demo` runs the main job on the
# bundled example.  SANITIZE=address,undefined builds with sanitizers.

PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
CC ?= cc
PKGS = libgit2 yaml-0.1 libcurl libcmark sqlite3 libcrypto json-c libmicrohttpd
VERSION = 0.1.0

OPT ?= -O2
STRICT = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wold-style-definition \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wformat=2 -Wformat-security \
	-Wundef -Wdeclaration-after-statement -Wno-format-nonliteral
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DMAILOUT_VERSION='"$(VERSION)"' $(STRICT) $(CPPFLAGS) $(CFLAGS) -Isrc \
	$(shell pkg-config --cflags $(PKGS))
LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

ifdef SANITIZE
# clang when there is one: its UBSan also catches arithmetic on null pointers
ifeq ($(origin CC),default)
CC := $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)
endif
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
OBJ = .objs/san
else
OBJ = .objs/default
endif

SRC = $(sort $(wildcard src/*.c))
CMD = $(sort $(wildcard cmd/*.c))
LIB_OBJS = $(SRC:%.c=$(OBJ)/%.o) $(OBJ)/gen/schema.o $(OBJ)/gen/theme.o $(OBJ)/gen/initfiles.o
THEME = site/page.html site/unsubscribe.html site/style.css site/app.js
CMD_OBJS = $(CMD:%.c=$(OBJ)/%.o)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS = $(UNIT_SRC:tests/unit/%.c=$(OBJ)/tests/%)

ifdef SANITIZE
PROGRAM = $(OBJ)/mailout
else
PROGRAM = mailout
endif

.PHONY: all deps test check unit unit-san e2e e2e-san browser screenshots demo bench install clean FORCE \
	man uninstall deb \
	fuzz fuzz-build fuzz-replay fuzz-replay-bins
.DELETE_ON_ERROR:

all: $(PROGRAM)

$(PROGRAM): $(CMD_OBJS) $(OBJ)/libmailout.a $(OBJ)/cc.stamp
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(OBJ)/libmailout.a $(LIBS)

$(OBJ)/libmailout.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# The compiler that built $(OBJ): a new one rebuilds everything.
$(OBJ)/cc.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC)' | cmp -s - $@ || echo '$(CC)' > $@

# The plan's schema, embedded as a C string.
$(OBJ)/gen/schema.c: src/schema.sql
	@mkdir -p $(dir $@)
	{ echo 'const char plan_schema_sql[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

# The status site's default theme, used when a repository has no site/.
$(OBJ)/gen/theme.c: $(THEME)
	@mkdir -p $(dir $@)
	{ echo '#include "site.h"'; \
	  echo 'const struct site_theme_file site_theme_files[] = {'; \
	  for f in $(THEME); do \
	    printf '{ "%s",\n' "$${f#site/}"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; \
	    echo '},'; \
	  done; \
	  echo '{ 0, 0 } };'; } > $@

# The files `mailout init` writes (init/, dot files included), so that an
# installed binary writes them.
INIT_FILES = $(sort $(shell find init -type f))
$(OBJ)/gen/initfiles.c: $(INIT_FILES) Makefile
	@mkdir -p $(dir $@)
	{ echo '#include "initfiles.h"'; \
	  echo 'const struct init_file init_files[] = {'; \
	  for f in $(INIT_FILES); do \
	    printf '{ "%s",\n' "$${f#init/}"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; \
	    echo '},'; \
	  done; \
	  echo '{ 0, 0 } };'; } > $@

$(OBJ)/gen/initfiles.o: $(OBJ)/gen/initfiles.c src/initfiles.h $(OBJ)/cc.stamp
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OBJ)/gen/theme.o: $(OBJ)/gen/theme.c src/site.h $(OBJ)/cc.stamp
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OBJ)/gen/schema.o: $(OBJ)/gen/schema.c $(OBJ)/cc.stamp
	$(CC) $(ALL_CFLAGS) -Wno-missing-variable-declarations -c -o $@ $<

$(OBJ)/%.o: %.c $(wildcard src/*.h) $(wildcard cmd/*.h) $(OBJ)/cc.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OBJ)/tests/%: tests/unit/%.c $(OBJ)/libmailout.a $(wildcard tests/unit/*.h) $(OBJ)/cc.stamp
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags cmocka) -Itests/unit -o $@ $< \
		$(OBJ)/libmailout.a $(LDFLAGS) $(LIBS) $(shell pkg-config --libs cmocka)

deps:
	@sh tests/deps.sh

# The README's test command: installs what the tests need, then runs them all.
test: deps
	@$(MAKE) --no-print-directory check

check: all unit unit-san fuzz-replay e2e e2e-san browser

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

unit-san:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined unit

e2e: $(PROGRAM)
	@sh tests/e2e/run.sh

# The sanitized binary validates, builds and previews the example and
# hostile content.
E2E_SAN = t0100 t0140 t0300 t0315 t0400 t0405 t0410
e2e-san:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined all
	@MAILOUT=$(CURDIR)/.objs/san/mailout sh tests/e2e/run.sh $(E2E_SAN)

browser: $(PROGRAM)
	@MAILOUT=$(CURDIR)/$(PROGRAM) sh tests/browser/run.sh

# Fuzzing: one libFuzzer target per parser of outside bytes
# (tests/fuzz/fuzz_NAME.c), built by clang against the library compiled
# with -fsanitize=fuzzer-no-link.  `make fuzz` runs each for FUZZ_SECONDS
# (FUZZ_TARGETS=NAME for one); new inputs go to .objs/fuzz/corpus-new/,
# crashes to .objs/fuzz/artifacts/.  `make fuzz-replay` (part of check)
# runs the seed corpora tests/fuzz/corpus/NAME/ through the same targets
# built with $(CC) and the sanitizers, without libFuzzer.
FUZZ_CC = clang
FUZZ = .objs/fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_common.c,\
	$(sort $(wildcard tests/fuzz/fuzz_*.c))))

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-build:
	@$(MAKE) --no-print-directory CC=$(FUZZ_CC) OBJ=$(FUZZ) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ)/libmailout.a
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ)/fuzz_%)

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz.h $(FUZZ)/libmailout.a
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -fsanitize=fuzzer $(FUZZ_SAN) -Itests/fuzz -o $@ $< \
		tests/fuzz/fuzz_common.c $(FUZZ)/libmailout.a $(LIBS)

fuzz-replay:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined fuzz-replay-bins
	@sh tests/fuzz/replay.sh .objs/san/fuzz $(FUZZ_TARGETS)

fuzz-replay-bins: $(FUZZ_TARGETS:%=$(OBJ)/fuzz/replay_%)

$(OBJ)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz_common.c \
		tests/fuzz/fuzz.h $(OBJ)/libmailout.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c $< tests/fuzz/fuzz_common.c \
		$(OBJ)/libmailout.a $(LDFLAGS) $(LIBS)

# Screenshots of the status site for the README (docs/*.png).
screenshots: all
	@sh tests/browser/run.sh screenshots.js

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh

bench: all $(OBJ)/bench_baseline $(OBJ)/bench_render $(OBJ)/bench_curl_loop
	@sh tests/bench/run.sh
	@sh tests/bench/send.sh
	@sh tests/bench/serve.sh
	@sh tests/bench/import.sh
	@sh tests/bench/site.sh

$(OBJ)/bench_curl_loop: tests/bench/curl_loop.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs libcurl)

$(OBJ)/bench_baseline: tests/bench/baseline.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs yaml-0.1 sqlite3 libcrypto)

# Messages rendered per second for the example newsletter (one core).
.PHONY: bench-render
bench-render: $(OBJ)/bench_render
	@$(OBJ)/bench_render .

$(OBJ)/bench_render: tests/bench/bench_render.c $(OBJ)/libmailout.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ)/libmailout.a $(LDFLAGS) $(LIBS)

# The man pages, mailout(1) and mailout-COMMAND(1) for each command the
# overview lists, written by the binary from its own help.
MAN = build/man
man: $(MAN)/mailout.1

$(MAN)/mailout.1: $(PROGRAM)
	@rm -rf $(MAN).tmp && mkdir -p $(MAN).tmp
	./$(PROGRAM) help --man >$(MAN).tmp/mailout.1
	@commands=$$(./$(PROGRAM) --help | sed -n '/^Commands:/,/^$$/s/^  \([a-z][a-z-]*\) .*/\1/p'); \
	[ -n "$$commands" ] || { echo "man: no commands in mailout --help" >&2; exit 1; }; \
	for c in $$commands; do \
		./$(PROGRAM) help --man "$$c" >$(MAN).tmp/mailout-$$c.1 || exit 1; \
	done
	rm -rf $(MAN) && mv $(MAN).tmp $(MAN)

# The unit runs the installed binary: its ExecStart names $(PREFIX)/bin.
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR)
	install -m 755 mailout $(DESTDIR)$(PREFIX)/bin/mailout
	install -m 644 $(MAN)/*.1 $(DESTDIR)$(MANDIR)/man1/
	sed 's|^ExecStart=/usr/local/bin/mailout |ExecStart=$(PREFIX)/bin/mailout |' \
		deploy/mailout-serve.service >build/mailout-serve.service
	grep -q '^ExecStart=$(PREFIX)/bin/mailout serve ' build/mailout-serve.service || \
		{ echo "install: no ExecStart=/usr/local/bin/mailout in deploy/mailout-serve.service" >&2; exit 1; }
	install -m 644 build/mailout-serve.service $(DESTDIR)$(UNITDIR)/mailout-serve.service
	rm -f build/mailout-serve.service

uninstall: man
	rm -f $(DESTDIR)$(PREFIX)/bin/mailout $(DESTDIR)$(UNITDIR)/mailout-serve.service
	for f in $(MAN)/*.1; do rm -f "$(DESTDIR)$(MANDIR)/man1/$${f##*/}"; done

# The Debian package, built by dpkg-buildpackage in a copy of the tree under
# $(DEB) (it writes its output beside the source: there, not in the parent
# of the checkout).  The package's version is debian/changelog's, which must
# be VERSION.
DEB = build/deb
DEB_JOBS ?= 2
deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
		{ echo "deb: debian/changelog is at version $$v, the Makefile's VERSION is $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB) && mkdir -p $(DEB)/src/mailout-$(VERSION)
	tar -cf - --exclude=./.git --exclude=./build --exclude=./.objs --exclude=./mailout \
		--exclude=node_modules --exclude='*.o' --exclude='*.d' . | tar -xf - -C $(DEB)/src/mailout-$(VERSION)
	cd $(DEB)/src/mailout-$(VERSION) && dpkg-buildpackage -us -uc -b -j$(DEB_JOBS)
	mv $(DEB)/src/*.deb $(DEB)/src/*.buildinfo $(DEB)/src/*.changes $(DEB)/
	rm -rf $(DEB)/src
	@ls $(DEB)/*.deb

clean:
	rm -rf .objs mailout

-include $(shell find .objs -name '*.d' 2>/dev/null)
