# A section that is never closed (an inverted one inside does not count).
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
subject: Spring news
---
Hello {{first_name}},

{{#vip}}
you are invited.
{{^vip}}
read on.
{{/vip}}
EOF
