# sent_mailbox: a name IMAP cannot take (not printable ASCII), and one on an
# account without imap (a warning: nothing would read it).
compact_config
cat >> mailout.yaml <<'YAML'
  - { id: alice-sent, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", imap: "imaps://imap.example.com/INBOX", sent_mailbox: "Gesendete Objekte ✓", daily_limit: 10 }
  - { id: alice-noimap, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", sent_mailbox: Sent, daily_limit: 10 }
YAML
