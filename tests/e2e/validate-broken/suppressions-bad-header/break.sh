# suppressions.tsv without its header line.
printf 'email\treason\n' >recipients/suppressions.tsv
printf 'nora@example.com\tunsubscribed\t2026-11-02T09:14:00Z\tmanual\n' >>recipients/suppressions.tsv
