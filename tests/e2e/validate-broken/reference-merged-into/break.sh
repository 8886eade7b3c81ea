# merged status and merged_into must go together.
mkdir campaigns/spring-news campaigns/summer-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
owner: alice
status: merged
EOF
cat > campaigns/summer-news/campaign.yaml <<'EOF'
name: Summer news
template: december-update
recipient_type: contacts
owner: alice
status: paused
merged_into: spring-news
EOF
