# Without unsubscribe.one_click_url recipients can only unsubscribe by
# e-mail: a warning at the 'unsubscribe' key, not an error.
sed -i '/^  one_click_url: /d' mailout.yaml
