# A byte that is not UTF-8 (Latin-1 text), located by line and column.
printf '# Leads from the spring fair.\n- { id: l-9001, email: latin1@example.com, first_name: J\366rg, owner: alice }\n' \
	>recipients/leads/spring-fair.yaml
