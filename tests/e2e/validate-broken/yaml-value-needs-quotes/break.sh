# A mustache tag at the start of a YAML value makes a flow mapping.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: spring-news
recipient_type: contacts
owner: alice
status: paused
EOF
cat > templates/spring-news.md <<'EOF'
---
subject: {{first_name}}, spring is here
---
Hello {{first_name}}.
EOF
