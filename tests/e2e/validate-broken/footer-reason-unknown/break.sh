# templates/footer.yaml: a type that does not exist, a recipient field in a
# reason (the reason knows the campaign, not the recipient), a list.
cat > templates/footer.yaml <<'EOF2'
contacts: "You hear from {{owner.name}} because you are {{first_name}}."
lead: "You asked us."
companies: [a, b]
EOF2
