# The same address twice in one type (case differs): a warning, mailed once.
cat > recipients/contacts/spring-a.yaml <<'EOF'
- { id: c-9001, email: nora@example.com, first_name: Nora, owner: bruno }
EOF
cat > recipients/contacts/spring-b.yaml <<'EOF'
- { id: c-9002, email: Nora@Example.COM, first_name: Nora, owner: bruno }
EOF
