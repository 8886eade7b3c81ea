# Bruno's accounts are all disabled: his campaign cannot send.
compact_config
sed -i '/id: bruno-/s/ }$/, enabled: false }/' mailout.yaml
cp templates/signatures/alice.md templates/signatures/bruno.md
mkdir campaigns/bruno-news
cat > campaigns/bruno-news/campaign.yaml <<'EOF'
name: News from Bruno
template: december-update
recipient_type: contacts
owner: bruno
status: active
EOF
