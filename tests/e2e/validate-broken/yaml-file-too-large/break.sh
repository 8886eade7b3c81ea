# A sparse file of 1 TiB (or, where the file system refuses that, one byte
# over the 64 MiB limit) is refused from its size, without being read.
truncate -s 1T recipients/leads/huge.yaml 2>/dev/null ||
	truncate -s 67108865 recipients/leads/huge.yaml
