# Problems in several files, reported together, sorted by file, line and
# column.
compact_config
sed -i 's/^  working_hours: .*/  working_hours: "8:30-17:30"/' mailout.yaml
cat >> mailout.yaml <<'EOF2'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daly_limit: 5 }
EOF2
mkdir campaigns/spring-news campaigns/summer-news
cat > campaigns/spring-news/campaign.yaml <<'EOF2'
name: Spring news
template: spring-news
recipient_type: contacts
owner: alice
status: active
EOF2
cat > campaigns/summer-news/campaign.yaml <<'EOF2'
name: Summer news
template: december-update
recipient_type: contacts
owner: alice
status: paused
segmnet: dach
EOF2
cat > templates/spring-news.md <<'EOF2'
---
subject: Spring news
---
Hello {{frist_name}}, {{{company}}}
EOF2
cat > recipients/contacts/spring.yaml <<'EOF2'
- { id: c-9001, email: nora@example..com, first_name: Nora, owner: alice }
- { id: c-9002, email: olga@example.com, first_name: Olga, owner: alicia, password: x }
EOF2
