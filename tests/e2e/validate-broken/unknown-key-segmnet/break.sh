# A misspelt campaign key, with a suggestion.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
segmnet: dach-customers
owner: alice
status: paused
EOF
