# The organisation's required name is missing.
compact_config
sed -i '/^  name: Example GmbH$/d' mailout.yaml
