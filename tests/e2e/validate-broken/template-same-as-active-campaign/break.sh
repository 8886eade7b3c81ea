# Two active campaigns with one template and shared recipients: a warning.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
owner: alice
status: active
EOF
