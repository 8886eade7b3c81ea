# Working hours out of range (organisation) and reversed (account).
compact_config
sed -i 's/^  working_hours: .*/  working_hours: "25:00-26:00"/' mailout.yaml
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10, working_hours: "17:00-08:00" }
EOF
