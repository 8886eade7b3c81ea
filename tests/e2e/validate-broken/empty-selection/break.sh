# A filter that matches nobody: a warning only.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
filter: { country: [SE, NO] }
owner: alice
status: paused
EOF
