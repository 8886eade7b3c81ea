# ca_file names a file that is not in the repository, one that holds no
# certificate, and a symbolic link (content files are never followed).
compact_config
mkdir certs
printf 'not a certificate\n' >certs/notes.txt
ln -s /etc/ssl/certs/ca-certificates.crt certs/link.pem
cat >> mailout.yaml <<'EOF'
  - { id: alice-a, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", ca_file: certs/missing.pem, daily_limit: 10 }
  - { id: alice-b, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", ca_file: certs/notes.txt, daily_limit: 10 }
  - { id: alice-c, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", ca_file: certs/link.pem, daily_limit: 10 }
  - { id: alice-d, owner: alice, from: "Alice Adams <alice@example.com>", smtp: "smtp://smtp.example.com:587", ca_file: /etc/ssl/certs/ca-certificates.crt, daily_limit: 10 }
EOF
