# Invalid addresses in mailout.yaml: the unsubscribe address, a person's
# e-mail and an account's from.
compact_config
sed -i -e 's/email: carol@example.com/email: carol@example/' \
	-e "s/{ address: unsubscribe@example.com,/{ address: unsubscribe.example.com,/" mailout.yaml
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10 }
EOF
