# A department, a person and an account whose ids are already taken.
compact_config
sed -i -e 's/^  - { id: americas, name: Sales Americas }$/&\n  - { id: emea, name: Sales Europe }/' \
	-e 's/^  - { id: carol, .*/&\n  - { id: dana, name: Dana Doe, email: dana.doe@example.net, department: americas, role: sales_manager }/' \
	mailout.yaml
cat >> mailout.yaml <<'EOF'
  - { id: alice-main, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10 }
EOF
