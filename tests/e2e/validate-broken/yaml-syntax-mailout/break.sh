# A syntax error in mailout.yaml stops validation: nothing else can be
# checked without the people and accounts.
compact_config
cat >> mailout.yaml <<'EOF'
  - { id: alice-spare, owner: alice from: "Alice Adams <alice@example.com>" }
EOF
