# A recipient whose owner is nobody in people.
cat > recipients/leads/spring-fair.yaml <<'EOF'
- { id: l-9001, email: nora@example.com, first_name: Nora, company_name: Nora AB, owner: alicia }
EOF
