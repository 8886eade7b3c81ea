# A key given twice in one mapping.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
owner: alice
status: paused
owner: dana
EOF
