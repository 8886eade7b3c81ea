# An alias without its anchor first is refused too (here in mailout.yaml,
# which stops validation).
compact_config
cat >> mailout.yaml <<'EOF'
  - *alice
EOF
