# Tabs cannot indent YAML.
mkdir campaigns/spring-news
printf 'name: Spring news\ntemplate: december-update\nrecipient_type: contacts\nowner: alice\nfilter:\n\tcountry: DE\n' \
	>campaigns/spring-news/campaign.yaml
