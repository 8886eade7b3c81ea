# A value where a mapping is expected, and a mapping where a list is.
compact_config
sed -i -e 's/^unsubscribe: {.*}$/unsubscribe: unsubscribe@example.com/' \
	-e '/^# (unsubscribe on one line/d' \
	-e 's/^departments:$/departments: { emea: Sales EMEA }/' \
	-e '/^  - { id: emea, name: Sales EMEA }$/d' \
	-e '/^  - { id: americas, name: Sales Americas }$/d' mailout.yaml
