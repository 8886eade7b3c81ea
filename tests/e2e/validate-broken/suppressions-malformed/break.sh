# suppressions.tsv lines: spaces instead of tabs, a bad address, an
# unknown reason and a time that is not RFC 3339.
{
	printf 'address\treason\ttime\tsource\n'
	printf 'nora@example.com\tunsubscribed\t2026-11-02T09:14:00Z\tmanual\n'
	printf 'olga@example.com unsubscribed 2026-11-02T09:14:00Z manual\n'
	printf 'pia@example\tbounced\t2026-11-02T09:14:00Z\tmanual\n'
	printf 'rita@example.com\tannoyed\tyesterday\tmanual\n'
} >recipients/suppressions.tsv
