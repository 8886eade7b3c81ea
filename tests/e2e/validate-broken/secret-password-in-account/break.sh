# A literal password in an account: secrets come from the environment.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", username: alice@example.com, password: hunter2, daily_limit: 10 }
EOF
