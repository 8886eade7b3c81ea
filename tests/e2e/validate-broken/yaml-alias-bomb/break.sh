# Anchors and aliases are refused at the first anchor: an alias bomb (9^9
# nodes once expanded) costs nothing.
{
	echo '- &a0 { id: c-9000, email: bomb@example.com, owner: alice }'
	for i in 1 2 3 4 5 6 7 8 9; do
		a="*a$((i - 1))"
		echo "- &a$i [$a, $a, $a, $a, $a, $a, $a, $a, $a]"
	done
} >recipients/contacts/bomb.yaml
