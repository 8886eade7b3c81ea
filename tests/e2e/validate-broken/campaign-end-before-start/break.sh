# A campaign that ends before it starts.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: december-update
recipient_type: contacts
owner: alice
status: paused
start: 2027-03-01
end: 2027-02-01T09:00
EOF
