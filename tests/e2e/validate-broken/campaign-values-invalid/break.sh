# Invalid values: recipient_type, status, start date, vip_only.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contact
owner: alice
status: actve
start: 2026-13-01
vip_only: yes
EOF
