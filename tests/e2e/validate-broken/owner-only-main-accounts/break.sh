# Bruno has only his main account, which sends to VIPs only, and the
# campaign selects everyone.
compact_config
sed -i '/id: bruno-uk/d' mailout.yaml
cp templates/signatures/alice.md templates/signatures/bruno.md
mkdir campaigns/bruno-news
cat > campaigns/bruno-news/campaign.yaml <<'EOF'
name: News from Bruno
template: december-update
recipient_type: contacts
owner: bruno
status: active
EOF
mkdir campaigns/bruno-vip
cat > campaigns/bruno-vip/campaign.yaml <<'EOF'
name: News from Bruno, VIPs only (fine with a main account)
template: product-launch
recipient_type: leads
owner: bruno
status: active
vip_only: true
EOF
