# A suspended day that is no weekday.
compact_config
sed -i 's/^  suspended_days: .*/  suspended_days: [fri, sat, sun, funday]/' mailout.yaml
