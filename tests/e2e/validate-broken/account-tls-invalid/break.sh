# TLS settings that cannot work: an unknown tls value, tls: none to a host
# that is not loopback (for the account's smtp and imap, and for the
# unsubscribe mailbox), a helo that is not a fully qualified name, and a
# misspelt key.
compact_config
sed -i -e '/^# (unsubscribe on one line/d' \
	-e 's|^unsubscribe: { address: \([^,]*\), one_click_url: \([^ ]*\) }$|unsubscribe:\n  address: \1\n  one_click_url: \2\n  mailbox: imap://imap.example.com/INBOX\n  username: unsubscribe@example.com\n  password_env: MAILOUT_PASSWORD_UNSUBSCRIBE\n  tls: none|' mailout.yaml
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", tls: startls, daily_limit: 10 }
  - { id: alice-relay, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", imap: "imap://127.0.0.1:1143/INBOX", tls: none, daily_limit: 10 }
  - { id: alice-local, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://127.0.0.1:1587", imap: "imap://imap.example.com/INBOX", tls: none, helo: vm, daily_limit: 10 }
  - { id: alice-ca, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://127.0.0.1:1587", ca_fille: certs/ca.pem, daily_limit: 10 }
EOF
