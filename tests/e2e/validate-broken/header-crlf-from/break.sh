# A line break in an account's from (a double-quoted YAML string): it
# would inject a mail header.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>\r\nBcc: all@example.net", smtp: "smtps://smtp.example.com:465", daily_limit: 10 }
EOF
