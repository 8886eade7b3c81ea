#!/bin/sh
# Installs the Debian packages that building and testing mailout need and
# that are missing.  Idempotent; uses sudo when not root.
# MAILOUT_DEPS=build installs only what building ./mailout needs (the
# scheduled send and the site deploy in CI, and jq, which the sharded send
# workflow reads `accounts list --json` with); MAILOUT_DEPS=deb that and what
# `make deb` and its test need; the default is everything.
# MAILOUT_APT_ARCHIVES=DIR keeps the downloaded packages in DIR (a folder
# CI caches between runs, so later runs install without downloading).
set -eu
pkgs="gcc make pkg-config ca-certificates git tzdata jq
libgit2-dev libyaml-dev libcurl4-openssl-dev libcmark-dev libsqlite3-dev libssl-dev
libjson-c-dev libmicrohttpd-dev"
deb="debhelper dpkg-dev lintian man-db systemd"
[ "${MAILOUT_DEPS:-all}" = deb ] && pkgs="$pkgs $deb"
if [ "${MAILOUT_DEPS:-all}" != build ] && [ "${MAILOUT_DEPS:-all}" != deb ]; then
	pkgs="$pkgs $deb libcmocka-dev
python3 python3-aiosmtpd python3-yaml dovecot-imapd postfix lighttpd openssl spamassassin sqlite3 time jq git-filter-repo
chromium fonts-dejavu-core clang libclang-rt-14-dev libreoffice-calc-nogui"
	# The browser tests need node and npm; any installed ones will do.
	command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q
# Postfix installs without asking and without configuring a system mail
# service: the tests run private instances (tests/e2e/postfix.sh)
case $missing in
*" postfix"*)
	echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
	;;
esac
archives=""
if [ -n "${MAILOUT_APT_ARCHIVES:-}" ]; then
	mkdir -p "$MAILOUT_APT_ARCHIVES/partial"
	archives="-o Dir::Cache::Archives=$(cd "$MAILOUT_APT_ARCHIVES" && pwd)"
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $archives $missing
