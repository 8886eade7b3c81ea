# A flow list that is never closed: libyaml notices on the next line and
# the message says where the list started.
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF'
name: Spring news
template: [december-update
recipient_type: contacts
owner: alice
EOF
