# Variables no selected record has: a typo (with a suggestion) and a
# made-up name inside a section.
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
subject: Spring news for {{company}}
---
Hello {{frist_name}},

spring is here, and {{organization.name}} has news.
{{#vip}}{{favourite_colour}}{{/vip}}
EOF
