# daily_limit must be a whole number of at least 1.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 0 }
  - { id: alice-extra, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: lots }
EOF
