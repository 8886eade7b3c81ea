# Unknown keys without a close match.
compact_config
sed -i 's/^  timezone: Europe\/Berlin$/&\n  colour: blue/' mailout.yaml
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
owner: alice
status: paused
priority: high
EOF
