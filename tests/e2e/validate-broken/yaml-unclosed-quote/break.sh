# A quoted string that is never closed.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: "Spring news
template: december-update
recipient_type: contacts
owner: alice
EOF
