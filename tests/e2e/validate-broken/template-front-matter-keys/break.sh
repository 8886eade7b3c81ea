# Front matter with a misspelt subject and a key templates do not have.
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
subjet: Spring news
from: someone@example.com
---
Hello {{first_name}}.
EOF
