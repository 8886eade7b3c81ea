# Secrets in recipient records.
cat > recipients/companies/partners.yaml <<'EOF'
- { id: co-9001, email: info@partner.example.com, full_name: Partner AG, owner: alice, api_key: 0123456789abcdef }
- { id: co-9002, email: info@other.example.com, full_name: Other AG, owner: alice, crm_token: abcdef }
EOF
