# Unescaped recipient data in the HTML body (the unsubscribe URL may be).
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
subject: Spring news for {{{company}}}
---
Hello {{{first_name}}},

news for {{& company}}: {{{unsubscribe_url}}}
EOF
