# SMTP test server helpers for e2e scripts (after lib.sh).

# free_port: prints a free TCP port on 127.0.0.1.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_smtpd SPOOL [ARG...]: starts tests/tools/fault_smtpd.py on a free
# port; sets SMTPD_PORT and SMTPD_PID.  Stop it with stop_smtpd.
start_smtpd() {
	spool=$1
	shift
	mkdir -p "$spool"
	SMTPD_PORT=$(free_port)
	/usr/bin/python3 "$SRC/tests/tools/fault_smtpd.py" --port "$SMTPD_PORT" --spool "$spool" \
		--quiet "$@" >"$spool.out" 2>&1 &
	SMTPD_PID=$!
	n=0
	until grep -q READY "$spool.out" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 150 ]; then
			fail "the test SMTP server did not start" "$spool.out"
			return 1
		fi
		sleep 0.1
	done
}

stop_smtpd() {
	[ -n "${SMTPD_PID:-}" ] && kill "$SMTPD_PID" 2>/dev/null
	wait "$SMTPD_PID" 2>/dev/null
	SMTPD_PID=
}

# plan_query SQL: runs SQL on the scratch repository's plan (in $REPO).
plan_query() {
	sqlite3 -batch -noheader -separator ' ' "$REPO/build/plan.db" "$1"
}
