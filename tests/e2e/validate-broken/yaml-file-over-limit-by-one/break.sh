# One byte over the 64 MiB limit: refused.
truncate -s 67108865 recipients/companies/big.yaml
