# A campaign folder whose name is not a valid id.
mkdir campaigns/Bad_Name
cat > campaigns/Bad_Name/campaign.yaml <<'EOF'
name: Bad name
template: december-update
recipient_type: contacts
owner: alice
status: paused
EOF
