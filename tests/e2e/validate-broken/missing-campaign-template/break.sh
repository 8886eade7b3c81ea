# A campaign without its required template.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
recipient_type: contacts
owner: alice
EOF
