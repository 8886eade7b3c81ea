# --repo naming a directory without mailout.yaml.
rm -rf mailout.yaml recipients templates campaigns
