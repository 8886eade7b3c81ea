# Every reference of a campaign: owner, template, segment.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: decmber-update
recipient_type: contacts
segment: dach-customer
owner: alicia
EOF
