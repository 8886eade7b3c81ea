# A mailout.yaml with only a comment is empty too.
printf '# nothing configured yet\n' >mailout.yaml
