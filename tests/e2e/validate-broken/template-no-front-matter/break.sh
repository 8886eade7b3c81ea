# A template without front matter.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: spring-news
recipient_type: contacts
owner: alice
status: active
EOF

cat > templates/spring-news.md <<'EOF'
Hello {{first_name}},

spring is here.
EOF
