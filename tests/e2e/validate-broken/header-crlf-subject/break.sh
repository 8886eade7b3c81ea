# A line break in a template's subject.
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
subject: "Spring news\r\nBcc: all@example.net"
---
Hello {{first_name}}.
EOF
