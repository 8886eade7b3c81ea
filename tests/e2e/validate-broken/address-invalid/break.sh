# Each address breaks one rule: a doubled dot, a domain without a dot, a
# local part over 64 characters, an address over 254 characters, a label
# starting with '-', '_' in the domain, an empty label, no '@', a space.
x65=$(printf '%065d' 0 | tr 0 x)
y64=$(printf '%064d' 0 | tr 0 y)
d60=$(printf '%060d' 0 | tr 0 d)
i=0
for email in jana..novak@example.net jana@localhost "$x65@example.net" \
	"$y64@$d60.$d60.$d60.example.net" jana@-bad.example.net jana@exa_mple.net \
	jana@example..net jana.example.net "jana smith@example.net"; do
	i=$((i + 1))
	echo "- { id: c-910$i, email: \"$email\", owner: alice }"
done >recipients/contacts/imported.yaml
