# IMAP test server helpers for e2e scripts (after lib.sh and smtp.sh).

# start_imapd USER:PASSWORD...: starts tests/tools/start_dovecot.sh on a free
# port in a directory nobody can enter (Dovecot drops to nobody when run as
# root); sets IMAPD_DIR, IMAPD_PORT and IMAPD_PID.  Stop it with stop_imapd.
start_imapd() {
	IMAPD_DIR=$(mktemp -d /tmp/mailout-imapd.XXXXXX) || return 1
	chmod 755 "$IMAPD_DIR"
	IMAPD_PORT=$(free_port)
	sh "$SRC/tests/tools/start_dovecot.sh" "$IMAPD_DIR/server" "$IMAPD_PORT" "$@" \
		>"$IMAPD_DIR/out" 2>&1 &
	IMAPD_PID=$!
	n=0
	until /usr/bin/python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		"$IMAPD_PORT" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 100 ] || ! kill -0 "$IMAPD_PID" 2>/dev/null; then
			cat "$IMAPD_DIR/server/dovecot.log" >>"$IMAPD_DIR/out" 2>/dev/null
			fail "the test IMAP server did not start" "$IMAPD_DIR/out"
			return 1
		fi
		sleep 0.1
	done
}

stop_imapd() {
	if [ -n "${IMAPD_PID:-}" ]; then
		kill "$IMAPD_PID" 2>/dev/null
		wait "$IMAPD_PID" 2>/dev/null
	fi
	IMAPD_PID=
	[ -n "${IMAPD_DIR:-}" ] && rm -rf "$IMAPD_DIR"
	IMAPD_DIR=
}

# deliver USER FILE: puts FILE into USER's inbox as a new (unread) message.
deliver_count=0
deliver() {
	deliver_count=$((deliver_count + 1))
	box="$IMAPD_DIR/server/home/$1/Maildir"
	cp "$2" "$box/tmp/e2e.$deliver_count" &&
		mv "$box/tmp/e2e.$deliver_count" "$box/new/$(date +%s).M${deliver_count}P$$.e2e"
	[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$box"
	return 0
}

# seen_count USER: how many of USER's messages carry the \Seen flag (a
# Maildir file in cur/ whose name has an S after ":2,").
seen_count() {
	ls "$IMAPD_DIR/server/home/$1/Maildir/cur" | grep -c ':2,[A-Z]*S' || true
}

# message_count USER: every message of USER, read or not.
message_count() {
	box="$IMAPD_DIR/server/home/$1/Maildir"
	echo $(($(ls "$box/new" | wc -l) + $(ls "$box/cur" | wc -l)))
}
