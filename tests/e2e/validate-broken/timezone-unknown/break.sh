# Time zones that are not IANA names, for the organisation and an account.
compact_config
sed -i 's/^  timezone: Europe\/Berlin$/  timezone: Europe\/Berln/' mailout.yaml
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10, timezone: CEST }
EOF
