# The same id in two files of one type: the message names the first.
cat > recipients/contacts/spring-a.yaml <<'EOF'
# Spring fair, day one.
- { id: c-9001, email: nora@example.com, first_name: Nora, owner: alice }
- { id: c-9002, email: olga@example.com, first_name: Olga, owner: alice }
EOF
cat > recipients/contacts/spring-b.yaml <<'EOF'
# Spring fair, day two.
- { id: c-9003, email: pia@example.com, first_name: Pia, owner: alice }
- { id: c-9002, email: olga.b@example.com, first_name: Olga, owner: alice }
- { id: c-9003, email: pia.c@example.com, first_name: Pia, owner: alice }
EOF
