# An empty campaign.yaml, and a campaign folder without one.
mkdir campaigns/spring-news
: >campaigns/spring-news/campaign.yaml
mkdir campaigns/summer-news
