# Mustache syntax errors: an unterminated tag, a partial, a delimiter
# change, a closing tag without its section.
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
subject: Spring news {{first_name
---
Hello {{> header}},
{{=<% %>=}}
{{/vip}}
EOF
