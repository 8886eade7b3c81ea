# Lists where single values are expected.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: [december-update, product-launch]
recipient_type: contacts
owner: alice
vip_only: [true]
EOF
