# Single values where lists are expected.
compact_config
sed -i -e 's/^  suspended_days: .*/  suspended_days: fri/' \
	-e 's/^  holidays: .*/  holidays: 2026-12-24/' mailout.yaml
