# organization.language must be a language tag
sed -i 's/^  language: en /  language: "en_US" /' mailout.yaml
