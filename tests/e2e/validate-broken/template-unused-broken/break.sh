# Templates that no campaign uses yet are checked too.
cat > templates/autumn-news.md <<'EOF2'
---
preheader: Autumn is here
---
Hello {{first_name}},
{{#vip}}
you are invited.
EOF2
cat > templates/winter-news.md <<'EOF2'
Hello {{first_name}}.
EOF2
