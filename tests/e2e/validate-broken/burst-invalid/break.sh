# burst is a whole number from 1 to 1000, burst_gap a duration from 1s to 1h.
compact_config
cat >> mailout.yaml <<'EOF2'
  - { id: alice-spare, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10, burst: 0 }
  - { id: alice-extra, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtps://smtp.example.com:465", daily_limit: 10, burst_gap: 2h }
EOF2
