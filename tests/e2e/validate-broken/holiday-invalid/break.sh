# Holidays that are no dates: 30 February, a German-style date.
compact_config
sed -i 's/^  holidays: .*/  holidays: [2026-12-24, 2026-02-30, 24.12.2026]/' mailout.yaml
