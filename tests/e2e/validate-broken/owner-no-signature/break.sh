# Bruno has accounts but no signature: a warning only.
mkdir campaigns/bruno-news
cat > campaigns/bruno-news/campaign.yaml <<'EOF'
name: News from Bruno
template: december-update
recipient_type: contacts
owner: bruno
status: active
EOF
