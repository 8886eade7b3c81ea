# A person in a department that does not exist.
compact_config
sed -i 's/^  - { id: carol, .*/&\n  - { id: erik, name: Erik Ek, email: erik@example.com, department: nordics, role: sales_manager }/' mailout.yaml
