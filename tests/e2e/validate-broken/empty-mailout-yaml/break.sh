# An empty mailout.yaml: nothing can be validated.
: >mailout.yaml
