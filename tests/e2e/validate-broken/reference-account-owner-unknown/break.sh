# An account whose owner is nobody in people.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alicia-main, owner: alicia, from: "Alicia Adams <alicia@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10 }
EOF
