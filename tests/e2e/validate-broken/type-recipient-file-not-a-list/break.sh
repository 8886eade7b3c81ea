# A recipient file that holds one mapping instead of a list of records.
cat > recipients/contacts/single.yaml <<'EOF'
id: c-9001
email: single@example.com
owner: alice
EOF
