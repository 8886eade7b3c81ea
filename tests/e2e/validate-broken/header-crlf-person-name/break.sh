# A line break in a person's name, which appears in From headers.
compact_config
sed -i 's/^  - { id: carol, .*/&\n  - { id: erik, name: "Erik\\r\\nBcc: all@example.net", email: erik@example.com, department: emea, role: sales_manager }/' mailout.yaml
