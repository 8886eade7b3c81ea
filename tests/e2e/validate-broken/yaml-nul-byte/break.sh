# A NUL byte in a YAML file, located by line and column (in characters).
printf '# Leads from the spring fair.\n- { id: l-9001, email: nul@example.com, first_name: J\303\266\000rg, owner: alice }\n' \
	>recipients/leads/spring-fair.yaml
