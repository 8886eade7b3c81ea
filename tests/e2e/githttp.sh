# A private smart-HTTP git server for e2e scripts (after lib.sh and
# smtp.sh): lighttpd running `git http-backend` as CGI on a free loopback
# port, basic auth required for every request, receive-pack enabled,
# everything under $TMPDIR/githttp.  Once per script:
#
#   githttp_start                      trap githttp_stop EXIT
#   githttp_new_repo NAME              an empty bare repository (branch main)
#
# Sets:
#   GH_DIR     the server's directory; repositories in $GH_DIR/repos
#   GH_PORT    the port on 127.0.0.1
#   GH_URL     http://127.0.0.1:PORT/git (append /NAME.git)
#   GH_USER    the one user (x-access-token, as mailout uses by default)
#   GH_TOKEN   its password; exported as MAILOUT_GIT_TOKEN, the variable
#              mailout takes the token from (README, "Pushing results")
#   githttp_pushes NAME                pushes that moved the branch, and refused ones
# git itself is given the credentials through GH_AUTH_URL
# (http://USER:TOKEN@127.0.0.1:PORT/git), mailout through the token only.

githttp_start() {
	GH_DIR=$TMPDIR/githttp
	GH_USER=x-access-token
	GH_TOKEN=e2e-git-token-0123456789
	mkdir -p "$GH_DIR/repos" "$GH_DIR/www" || return 1
	printf '%s:%s\n' "$GH_USER" "$GH_TOKEN" >"$GH_DIR/users"
	GH_PORT=$(free_port)
	cat >"$GH_DIR/lighttpd.conf" <<CONF
server.modules = ("mod_accesslog", "mod_alias", "mod_auth", "mod_authn_file", "mod_setenv", "mod_cgi")
server.bind = "127.0.0.1"
server.port = $GH_PORT
server.document-root = "$GH_DIR/www"
server.errorlog = "$GH_DIR/error.log"
server.pid-file = "$GH_DIR/lighttpd.pid"
server.max-request-size = 65536
accesslog.filename = "$GH_DIR/access.log"
auth.backend = "plain"
auth.backend.plain.userfile = "$GH_DIR/users"
auth.require = ("/git" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
alias.url = ("/git" => "/usr/lib/git-core/git-http-backend")
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ("" => "")
	setenv.set-environment = ("GIT_PROJECT_ROOT" => "$GH_DIR/repos",
				  "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
	lighttpd -D -f "$GH_DIR/lighttpd.conf" >"$GH_DIR/lighttpd.out" 2>&1 &
	GH_PID=$!
	GH_URL=http://127.0.0.1:$GH_PORT/git
	GH_AUTH_URL=http://$GH_USER:$GH_TOKEN@127.0.0.1:$GH_PORT/git
	export MAILOUT_GIT_TOKEN=$GH_TOKEN
	n=0
	until curl -s -o /dev/null -u "$GH_USER:$GH_TOKEN" "$GH_URL/" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$GH_PID" 2>/dev/null; then
			cat "$GH_DIR/error.log" >>"$GH_DIR/lighttpd.out" 2>/dev/null
			fail "lighttpd did not start" "$GH_DIR/lighttpd.out"
			return 1
		fi
		sleep 0.1
	done
}

githttp_stop() {
	[ -n "${GH_PID:-}" ] && kill "$GH_PID" 2>/dev/null && wait "$GH_PID" 2>/dev/null
	GH_PID=
}

githttp_new_repo() {
	git init -q --bare -b main "$GH_DIR/repos/$1.git" &&
	git -C "$GH_DIR/repos/$1.git" config http.receivepack true &&
	git -C "$GH_DIR/repos/$1.git" config core.logAllRefUpdates always
}

# githttp_pushes NAME: "PUSHED REFUSED": pushes that moved NAME's main
# (its reflog) and push attempts that did not (authenticated receive-pack
# discoveries in the access log minus those); lighttpd writes its access
# log at the latest when it stops: call githttp_stop first.
githttp_pushes() {
	moved=$(git -C "$GH_DIR/repos/$1.git" reflog show --format=%H main 2>/dev/null | wc -l)
	tried=$(grep -c "/git/$1.git/info/refs?service=git-receive-pack HTTP/[0-9.]*\" 200 " "$GH_DIR/access.log")
	echo "$moved $((tried - moved))"
}
