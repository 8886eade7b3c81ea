#!/bin/sh
# The Debian package and make install.  In a copy of the tree, `make deb`
# builds build/deb/mailout_VERSION_ARCH.deb holding exactly the binary, a
# man page for mailout and one for each command (the very text of `mailout
# help --man`), the systemd unit of `mailout serve` (running /usr/bin) and
# the docs; lintian reports no error and no warning; nothing is written
# outside build/ (dpkg-buildpackage writes beside its source).  A Makefile
# VERSION other than debian/changelog's is refused before anything is
# built.  `make install PREFIX` installs binary, pages and unit, man finds
# the pages with each command's synopsis, and `make uninstall` removes
# them again; systemd-analyze verify accepts the installed unit.
. "$SRC/tests/e2e/lib.sh"

for tool in dpkg-buildpackage dh lintian man groff systemd-analyze; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "no $tool here (MAILOUT_DEPS=deb sh tests/deps.sh installs it)"
done

version=$(sed -n 's/^VERSION = //p' "$SRC/Makefile")
arch=$(dpkg --print-architecture)
commands=$("$MAILOUT" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
case " $(echo $commands) " in
*" send "*) ;;
*) fail "mailout --help lists no send: '$commands'" ;;
esac

# A copy of the tree with the binary and its objects (make install then
# builds nothing), not the checkout's build/ or other builds.
tree=$TMPDIR/tree
copy=$tree/mailout
mkdir -p "$copy"
(cd "$SRC" && tar -cf - --exclude=./.git --exclude=./build --exclude=./.objs/san \
	--exclude=./.objs/fuzz --exclude=node_modules .) | (cd "$copy" && tar -xf -) ||
	fail "copying the tree"
listing() {
	(cd "$tree" && find . -path ./mailout/build -prune -o -print | LC_ALL=C sort)
}
listing >"$TMPDIR/before"

# No -dbgsym package, no unit tests: the test builds just the package.
(cd "$copy" && DEB_BUILD_OPTIONS="nocheck noddebs" DEB_BUILD_PROFILES=nocheck \
	make deb) >"$TMPDIR/deb.log" 2>&1 || fail "make deb failed" "$TMPDIR/deb.log"
listing >"$TMPDIR/after"
expect_file "make deb writes nothing but build/" "$TMPDIR/before" "$TMPDIR/after"

out=$copy/build/deb
deb=$out/mailout_${version}_$arch.deb
printf '%s\n' "mailout_${version}_$arch.buildinfo" "mailout_${version}_$arch.changes" \
	"mailout_${version}_$arch.deb" >"$TMPDIR/expected"
ls "$out" | LC_ALL=C sort >"$TMPDIR/actual"
expect_file "build/deb/" "$TMPDIR/expected" "$TMPDIR/actual"

{
	printf '%s\n' ./ ./lib/ ./lib/systemd/ ./lib/systemd/system/ \
		./lib/systemd/system/mailout-serve.service ./usr/ ./usr/bin/ ./usr/bin/mailout \
		./usr/share/ ./usr/share/doc/ ./usr/share/doc/mailout/ \
		./usr/share/doc/mailout/README.md.gz ./usr/share/doc/mailout/changelog.gz \
		./usr/share/doc/mailout/copyright ./usr/share/man/ ./usr/share/man/man1/ \
		./usr/share/man/man1/mailout.1.gz
	for c in $commands; do
		echo "./usr/share/man/man1/mailout-$c.1.gz"
	done
} | LC_ALL=C sort >"$TMPDIR/expected"
dpkg-deb --contents "$deb" | awk '{ print $6 }' | LC_ALL=C sort >"$TMPDIR/actual"
expect_file "the package's files" "$TMPDIR/expected" "$TMPDIR/actual"

printf '%s\n' "Package: mailout" "Version: $version" "Architecture: $arch" >"$TMPDIR/expected"
dpkg-deb --field "$deb" Package Version Architecture >"$TMPDIR/actual"
expect_file "the package's name, version and architecture" "$TMPDIR/expected" "$TMPDIR/actual"
case $(dpkg-deb --field "$deb" Depends) in
*libgit2-*libmicrohttpd*tzdata* | *tzdata*libgit2-*libmicrohttpd*) ;;
*) fail "Depends lacks the libraries or tzdata: $(dpkg-deb --field "$deb" Depends)" ;;
esac

files=$TMPDIR/files
mkdir -p "$files"
dpkg-deb --extract "$deb" "$files" || fail "dpkg-deb --extract"
"$files/usr/bin/mailout" --version >"$TMPDIR/actual" 2>&1
echo "mailout $version" >"$TMPDIR/expected"
expect_file "the packaged binary's version" "$TMPDIR/expected" "$TMPDIR/actual"
sed 's|^ExecStart=/usr/local/bin/mailout |ExecStart=/usr/bin/mailout |' \
	"$SRC/deploy/mailout-serve.service" >"$TMPDIR/expected"
expect_file "the packaged unit: deploy's, running /usr/bin/mailout" "$TMPDIR/expected" \
	"$files/lib/systemd/system/mailout-serve.service"
"$MAILOUT" help --man >"$TMPDIR/expected"
gzip -dc "$files/usr/share/man/man1/mailout.1.gz" >"$TMPDIR/actual"
expect_file "mailout.1 is mailout help --man" "$TMPDIR/expected" "$TMPDIR/actual"
for c in $commands; do
	"$MAILOUT" help --man "$c" >"$TMPDIR/expected"
	gzip -dc "$files/usr/share/man/man1/mailout-$c.1.gz" >"$TMPDIR/actual"
	expect_file "mailout-$c.1 is mailout help --man $c" "$TMPDIR/expected" "$TMPDIR/actual"
done

lintian "$out/mailout_${version}_$arch.changes" >"$TMPDIR/lintian" 2>"$TMPDIR/lintian.err"
lrc=$?
[ "$lrc" -eq 0 ] || fail "lintian exit $lrc" "$TMPDIR/lintian"
grep -E '^[EW]: ' "$TMPDIR/lintian" >"$TMPDIR/lintian.ew" &&
	fail "lintian errors or warnings" "$TMPDIR/lintian.ew"

# VERSION and debian/changelog must agree: a mismatch stops make deb
# before it touches build/deb.
cp "$copy/Makefile" "$TMPDIR/Makefile.orig"
sed -i 's/^VERSION = .*/VERSION = 9.9.9/' "$copy/Makefile"
(cd "$copy" && make deb) >"$TMPDIR/stdout" 2>"$TMPDIR/stderr"
rc=$?
expect_rc "make deb with another VERSION" 2
echo "deb: debian/changelog is at version $version, the Makefile's VERSION is 9.9.9" \
	>"$TMPDIR/expected"
head -n 1 "$TMPDIR/stderr" >"$TMPDIR/actual"
expect_file "make deb with another VERSION" "$TMPDIR/expected" "$TMPDIR/actual"
[ -f "$deb" ] || fail "the refused make deb removed the package"
cp "$TMPDIR/Makefile.orig" "$copy/Makefile"

# make install and uninstall under a prefix
prefix=$TMPDIR/usr
(cd "$copy" && make install PREFIX="$prefix") >"$TMPDIR/install.log" 2>&1 ||
	fail "make install failed" "$TMPDIR/install.log"
{
	printf '%s\n' bin/mailout lib/systemd/system/mailout-serve.service share/man/man1/mailout.1
	for c in $commands; do
		echo "share/man/man1/mailout-$c.1"
	done
} | LC_ALL=C sort >"$TMPDIR/expected"
(cd "$prefix" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$TMPDIR/actual"
expect_file "the files make install writes" "$TMPDIR/expected" "$TMPDIR/actual"
grep '^ExecStart=' "$prefix/lib/systemd/system/mailout-serve.service" >"$TMPDIR/actual"
echo "ExecStart=$prefix/bin/mailout serve --config /etc/mailout/mailout.yaml \\" >"$TMPDIR/expected"
expect_file "the installed unit runs the installed binary" "$TMPDIR/expected" "$TMPDIR/actual"
# systemd accepts it as installed (its Documentation= page found by man)
MANPATH=$prefix/share/man systemd-analyze verify \
	"$prefix/lib/systemd/system/mailout-serve.service" >"$TMPDIR/verify" 2>&1 ||
	fail "systemd-analyze verify of the installed unit" "$TMPDIR/verify"

for page in "$prefix"/share/man/man1/*.1; do
	groff -ww -z -man "$page" >"$TMPDIR/warnings" 2>&1
	man --warnings -l "$page" 2>>"$TMPDIR/warnings" >/dev/null
	[ -s "$TMPDIR/warnings" ] && fail "warnings in ${page##*/}" "$TMPDIR/warnings"
done
for c in $commands; do
	synopsis=$("$MAILOUT" help "$c" | sed -n '1s/^usage: //p')
	MANPATH=$prefix/share/man MANWIDTH=1000 man -P cat "mailout-$c" >"$TMPDIR/page" 2>&1
	grep -qxF "       $synopsis" "$TMPDIR/page" ||
		fail "man mailout-$c does not show '$synopsis'" "$TMPDIR/page"
done
MANPATH=$prefix/share/man MANWIDTH=1000 man -P cat mailout >"$TMPDIR/page" 2>&1
grep -qxF "       mailout-send(1)" "$TMPDIR/page" || fail "man mailout lists no mailout-send(1)" \
	"$TMPDIR/page"

(cd "$copy" && make uninstall PREFIX="$prefix") >"$TMPDIR/uninstall.log" 2>&1 ||
	fail "make uninstall failed" "$TMPDIR/uninstall.log"
(cd "$prefix" && find . -type f) >"$TMPDIR/actual"
expect_file "make uninstall leaves no file" /dev/null "$TMPDIR/actual"

finish
