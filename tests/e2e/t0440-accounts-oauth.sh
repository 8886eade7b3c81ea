#!/bin/sh
# mailout accounts check with an auth: oauth2 account: the access token comes
# from the token endpoint (tests/tools/oauth_server.py) with the refresh token
# and client secret of the environment, and logs in with XOAUTH2.
. "$SRC/tests/e2e/lib.sh"
. "$SRC/tests/e2e/smtp.sh"

REPO=$TMPDIR/repo
make_repo "$REPO" || fail "make_repo"
cd "$REPO" || exit 1
unset MAILOUT_OAUTH_CLIENT_SECRET_DANA MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH

start_smtpd "$TMPDIR/smtp" --xoauth2 "dana.diaz@outreach.example.net:ya29.e2e/token" || finish
OAUTH_PORT=$(free_port)
/usr/bin/python3 "$SRC/tests/tools/oauth_server.py" --port "$OAUTH_PORT" \
	--client-id mailout-e2e --client-secret "e2e secret&=" \
	--grant "1//refresh-good=ya29.e2e/token" --grant "1//refresh-other=ya29.other" \
	>"$TMPDIR/oauth.out" 2>&1 &
OAUTH_PID=$!
n=0
until grep -q READY "$TMPDIR/oauth.out" 2>/dev/null; do
	n=$((n + 1))
	if [ $n -gt 150 ]; then
		fail "the test OAuth2 server did not start" "$TMPDIR/oauth.out"
		break
	fi
	sleep 0.1
done

SMTP_URL=smtp://127.0.0.1:$SMTPD_PORT
TOKEN_URL=http://127.0.0.1:$OAUTH_PORT/token
compact_config
sed -i '/^accounts:/,$d' mailout.yaml
cat >>mailout.yaml <<YAML
accounts:
  - id: dana-outreach
    owner: dana
    from: "Dana Diaz <dana.diaz@outreach.example.net>"
    smtp: $SMTP_URL
    username: dana.diaz@outreach.example.net
    auth: oauth2
    token_url: $TOKEN_URL
    client_id: mailout-e2e
    client_secret_env: MAILOUT_OAUTH_CLIENT_SECRET_DANA
    refresh_token_env: MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH
    daily_limit: 100
YAML

run_mailout accounts check
expect_rc "no refresh token" 1
expect_output "no refresh token" \
	"dana-outreach        FAILED  account 'dana-outreach': MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH is not set
accounts: 0 of 1 working"

export MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH=1//refresh-good
run_mailout accounts check
expect_rc "no client secret" 1
expect_output "no client secret" \
	"dana-outreach        FAILED  account 'dana-outreach': MAILOUT_OAUTH_CLIENT_SECRET_DANA is not set
accounts: 0 of 1 working"

export MAILOUT_OAUTH_CLIENT_SECRET_DANA="e2e secret&="
run_mailout accounts check
expect_rc "a working account" 0
expect_output "a working account" \
	"dana-outreach        ok      $SMTP_URL
accounts: 1 of 1 working"
expect_stderr "a working account" ""

MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH=1//refresh-revoked run_mailout accounts check
expect_rc "a revoked refresh token" 1
expect_output "a revoked refresh token" \
	"dana-outreach        FAILED  OAuth2 token request to '$TOKEN_URL' refused (HTTP 400): 'invalid_grant' (Bad Request)
accounts: 0 of 1 working"

MAILOUT_OAUTH_CLIENT_SECRET_DANA=wrong run_mailout accounts check
expect_rc "a wrong client secret" 1
expect_output "a wrong client secret" \
	"dana-outreach        FAILED  OAuth2 token request to '$TOKEN_URL' refused (HTTP 401): 'invalid_client' (Unauthorized)
accounts: 0 of 1 working"

# a token the SMTP server does not take
MAILOUT_OAUTH_REFRESH_TOKEN_DANA_OUTREACH=1//refresh-other run_mailout accounts check
expect_rc "a token the server refuses" 1
expect_output "a token the server refuses" \
	"dana-outreach        FAILED  SMTP AUTH: 535 5.7.8 Authentication credentials invalid
accounts: 0 of 1 working"

kill "$OAUTH_PID" 2>/dev/null
wait "$OAUTH_PID" 2>/dev/null
stop_smtpd
finish
