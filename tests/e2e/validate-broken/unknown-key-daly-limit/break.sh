# A misspelt key: unknown (with a suggestion), and the real one missing.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daly_limit: 20 }
EOF
