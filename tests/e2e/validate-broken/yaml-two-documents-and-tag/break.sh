# Two YAML documents in one file; an explicit tag.
printf -- '- { id: l-9001, email: one@example.com, owner: alice }\n---\n- { id: l-9002, email: two@example.com, owner: alice }\n' \
	>recipients/leads/a-two-docs.yaml
printf -- '- !!map { id: l-9003, email: three@example.com, owner: alice }\n' \
	>recipients/leads/b-tagged.yaml
