# Line breaks in recipient fields, which templates put in subjects.
cat > recipients/contacts/spring.yaml <<'EOF'
- { id: c-9001, email: nora@example.com, first_name: "Nora\nBcc: all@example.net", owner: alice }
- { id: c-9002, email: olga@example.com, first_name: Olga, tags: [a, "b\rc"], owner: alice }
EOF
