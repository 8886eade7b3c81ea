# A form feed in a name (refused, like every control character but tab and
# line breaks); a multi-line note (kept); a multi-line company that a
# subject uses (refused at the record, naming the header).
mkdir campaigns/spring-news
cat > campaigns/spring-news/campaign.yaml <<'EOF2'
name: Spring news
template: spring-news
recipient_type: contacts
owner: alice
status: paused
filter: { country: SE }
EOF2
cat > templates/spring-news.md <<'EOF2'
---
subject: "News for {{company}}"
preheader: "Hello {{last_name}}"
---
Hello {{first_name}}.
EOF2
cat > recipients/contacts/spring.yaml <<'EOF2'
- { id: c-9001, email: nora@example.com, first_name: "Nora\f", owner: alice, country: SE }
- { id: c-9002, email: olga@example.com, first_name: Olga, notes: "Met at the fair.\r\nCall in May.", owner: alice, country: SE }
- { id: c-9003, email: pia@example.com, first_name: Pia, company: "Pia AB\nStockholm", owner: alice, country: SE }
- { id: c-9004, email: rut@example.com, first_name: Rut, last_name: "Ek\tLund", tags: ["a\x1b"], owner: alice, country: SE }
EOF2
