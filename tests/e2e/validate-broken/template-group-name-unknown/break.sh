# Names of the owner, organization and campaign groups that do not exist.
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
subject: Spring news from {{organization.nme}}
preheader: "{{owner}} writes"
---
Hello {{first_name}}, {{owner.phone}} and {{campaign.title}}.
EOF
