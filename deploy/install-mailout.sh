#!/bin/sh
# Installs the mailout a content repository pins: the source at a tag or
# commit, built with its own `make deps` (MAILOUT_DEPS=build) and `make`,
# installed with `make install` into a prefix.  The GitHub action
# (action.yml), the GitLab pipeline and a server's setup all use it.
#
#   install-mailout.sh [--source URL] [--ref REF] [--version-file FILE]
#                      --prefix DIR [--jobs N]
#   install-mailout.sh [--source URL] [--ref REF] [--version-file FILE] --resolve
#
# --source and --ref default to the `source:` and `ref:` lines of
# --version-file (a content repository's mailout-version).  --resolve only
# prints what would be installed, as lines for $GITHUB_OUTPUT:
# source=URL, commit=40 hex digits (a tag or branch resolved on the
# remote), os=ID-VERSION-ARCH of this machine.
#
# Cache hit: when DIR/share/mailout/commit names the commit already and
# DIR/bin/mailout runs, nothing is built; only the packages mailout needs
# at run time are installed (the deps.sh of that version, kept in
# DIR/share/mailout/).  A CI cache of DIR therefore skips the build.
# Downloaded packages are kept in DIR/apt for the same cache
# (MAILOUT_APT_ARCHIVES), so a cached run installs them without
# downloading.  Prints one line saying which path it took.
set -eu

usage() {
	echo "usage: install-mailout.sh [--source URL] [--ref REF] [--version-file FILE] (--prefix DIR [--jobs N] | --resolve)" >&2
	exit 2
}

die() {
	echo "install-mailout: $*" >&2
	exit 1
}

source_url="" ref="" version_file="" prefix="" jobs=2 resolve=0
while [ $# -gt 0 ]; do
	case $1 in
	--source) [ $# -ge 2 ] || usage; source_url=$2; shift 2 ;;
	--ref) [ $# -ge 2 ] || usage; ref=$2; shift 2 ;;
	--version-file) [ $# -ge 2 ] || usage; version_file=$2; shift 2 ;;
	--prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--resolve) resolve=1; shift ;;
	*) usage ;;
	esac
done

# pin_value KEY: the value of "KEY: value" in the version file
pin_value() {
	sed -n "s/^$1:[[:space:]]*//p" "$version_file" | sed 's/[[:space:]]*$//' | head -n 1
}
if [ -n "$version_file" ]; then
	[ -f "$version_file" ] || die "no version file '$version_file'"
	[ -n "$source_url" ] || source_url=$(pin_value source)
	[ -n "$ref" ] || ref=$(pin_value ref)
fi
[ -n "$source_url" ] || die "no source: give --source URL or a version file with a 'source:' line"
[ -n "$ref" ] || die "no ref: give --ref REF or a version file with a 'ref:' line"
case $ref in -*) die "invalid ref '$ref'" ;; esac
case $jobs in '' | *[!0-9]*) die "invalid --jobs '$jobs'" ;; esac
[ "$resolve" -eq 1 ] || [ -n "$prefix" ] || usage

# resolve: the commit REF names on the remote (a commit stays itself)
resolve_commit() {
	if printf '%s\n' "$ref" | grep -Eq '^[0-9a-f]{40}$'; then
		echo "$ref"
		return
	fi
	refs=$(git ls-remote -- "$source_url" "refs/tags/$ref" "refs/tags/$ref^{}" "refs/heads/$ref") ||
		die "cannot read the refs of '$source_url'"
	# an annotated tag's commit is the peeled line
	commit=$(printf '%s\n' "$refs" | awk -v r="refs/tags/$ref^{}" '$2 == r { print $1; exit }')
	[ -n "$commit" ] || commit=$(printf '%s\n' "$refs" | awk -v r="refs/tags/$ref" '$2 == r { print $1; exit }')
	[ -n "$commit" ] || commit=$(printf '%s\n' "$refs" | awk -v r="refs/heads/$ref" '$2 == r { print $1; exit }')
	[ -n "$commit" ] || die "'$source_url' has no tag or branch '$ref'"
	echo "$commit"
}

os_id() {
	id=unknown version=unknown
	if [ -r /etc/os-release ]; then
		id=$(. /etc/os-release && echo "${ID:-unknown}")
		version=$(. /etc/os-release && echo "${VERSION_ID:-unknown}")
	fi
	echo "$id-$version-$(uname -m)"
}

commit=$(resolve_commit)
if [ "$resolve" -eq 1 ]; then
	echo "source=$source_url"
	echo "commit=$commit"
	echo "os=$(os_id)"
	exit 0
fi

mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
share=$prefix/share/mailout
export MAILOUT_DEPS=build MAILOUT_APT_ARCHIVES="$prefix/apt"

if [ -x "$prefix/bin/mailout" ] && [ -f "$share/commit" ] && [ "$(cat "$share/commit")" = "$commit" ] &&
	[ -f "$share/deps.sh" ]; then
	sh "$share/deps.sh"
	if "$prefix/bin/mailout" --version >/dev/null 2>&1; then
		echo "install-mailout: mailout $commit is in $prefix already (cache hit)"
		exit 0
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/install-mailout.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-checkout -- "$source_url" "$work/src" || die "cannot clone '$source_url'"
git -C "$work/src" -c advice.detachedHead=false checkout --quiet --detach "$commit" ||
	die "'$source_url' has no commit $commit"
make -C "$work/src" --no-print-directory deps
make -C "$work/src" --no-print-directory -j"$jobs" >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	die "the build of $commit failed"
}
make -C "$work/src" --no-print-directory install PREFIX="$prefix" >/dev/null
mkdir -p "$share"
cp "$work/src/tests/deps.sh" "$share/deps.sh"
echo "$commit" >"$share/commit"
echo "install-mailout: built mailout $commit from $source_url into $prefix"
