# Recipients without an address (absent or empty) and without an owner.
cat > recipients/contacts/spring.yaml <<'EOF'
# New contacts.
- { id: c-9001, first_name: Nora, owner: alice }
- { id: c-9002, email: "", first_name: Olga, owner: alice }
- { id: c-9003, email: ola@example.com, first_name: Ola }
EOF
