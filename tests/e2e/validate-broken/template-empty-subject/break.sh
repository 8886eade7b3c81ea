# The subject renders empty for a record without the field.
cat > recipients/contacts/spring.yaml <<'EOF'
- { id: c-9001, email: nora@example.com, first_name: Nora, owner: alice }
EOF
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: spring-news
recipient_type: contacts
owner: alice
status: active
EOF

cat > templates/spring-news.md <<'EOF'
---
preheader: What is new
subject: "{{title}}"
---
Hello {{first_name}}.
EOF
