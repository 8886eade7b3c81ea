# Invalid segments: an empty filter, a nested value, bad names.
cat > recipients/segments.yaml <<'EOF'
dach-customers: { country: [DE, AT, CH], tags: newsletter }
north-america: { country: [US, CA, MX] }
empty: {}
nested: { country: { code: DE } }
"bad name": { country: DE }
Country: { Country: DE }
EOF
