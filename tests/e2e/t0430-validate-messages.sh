#!/bin/sh
# What validate says about the parts of a message: a subject empty for
# everybody, unescaped recipient data, the layout, and Markdown that breaks
# the pairing of section tags in the HTML.
. "$SRC/tests/e2e/lib.sh"

# check NAME EXPECTED_EXIT EXPECTED_OUTPUT: validate the repository made by
# the function setup_NAME in a fresh copy of the example.
check() {
	repo=$TMPDIR/$1
	make_repo "$repo" || { fail "$1: make_repo"; return; }
	(cd "$repo" && "setup_$1") >"$TMPDIR/setup.log" 2>&1 || { fail "$1: setup" "$TMPDIR/setup.log"; return; }
	run_mailout --repo "$repo" validate
	expect_rc "$1" "$2"
	expect_output "$1" "$3"
}

# a campaign spring-news of alice's contacts with the template given on stdin
spring_news() {
	mkdir -p campaigns/spring-news
	printf 'name: Spring news\ntemplate: spring-news\nrecipient_type: contacts\nowner: alice\nstatus: active\n' \
		>campaigns/spring-news/campaign.yaml
	cat >templates/spring-news.md
}

# a subject without recipient fields that is empty for everybody
setup_constant_empty_subject() {
	spring_news <<'EOF'
---
subject: "  {{! nothing }} "
---
Hello {{first_name}}.
EOF
}
check constant_empty_subject 1 \
	"templates/spring-news.md:2:10: error: the subject is empty for 14 recipients of campaign 'spring-news' (for example 'c-1001')
4 campaigns, 60 recipient records: 1 error, 0 warnings"

# owner.name fills the subject when the recipient's field is missing
setup_subject_with_groups() {
	spring_news <<'EOF'
---
subject: "{{title}}{{owner.name}}"
---
Hello {{first_name}}.
EOF
	echo '- { id: c-9001, email: nora@example.com, first_name: Nora, owner: alice }' \
		>recipients/contacts/spring.yaml
}
check subject_with_groups 0 \
	"templates/spring-news.md:2:11: warning: variable 'title' is missing for 1 of 15 recipients of campaign 'spring-news' (it renders empty)
4 campaigns, 61 recipient records: 0 errors, 1 warning"

# {{{.}}} inside a section over a recipient field is that field, unescaped
setup_unescaped_item() {
	spring_news <<'EOF'
---
subject: News
---
Tags: {{#tags}}{{{.}}} {{/tags}}
{{#owner.name}}{{{.}}}{{/owner.name}}
EOF
}
check unescaped_item 1 \
	"templates/spring-news.md:4:16: error: recipient data is always escaped in HTML: write {{.}}, not an unescaped tag
4 campaigns, 60 recipient records: 1 error, 0 warnings"

# the layout: content must be there, unescaped; subject escaped; known names only
setup_layout() {
	printf '<html><body>{{content}} {{{subject}}} {{first_name}} {{organization.name}}</body></html>\n' \
		>templates/layout.html
}
check layout 1 \
	"templates/layout.html:1:13: error: write {{{content}}}: the message is HTML and {{content}} would show it as text
templates/layout.html:1:25: error: 'subject' carries recipient data, which is always escaped in HTML: write {{subject}}
templates/layout.html:1:39: error: unknown variable 'first_name' in the layout: it can use content, subject, preheader, unsubscribe_url, owner.id/name/email, organization.name/postal_address/site_url and campaign.id/name
3 campaigns, 60 recipient records: 3 errors, 0 warnings"

setup_layout_without_content() {
	printf '<html><body>{{#preheader}}{{preheader}}{{/preheader}}</body></html>\n' >templates/layout.html
}
check layout_without_content 1 \
	"templates/layout.html: error: the layout has no {{{content}}}: the messages would have no body, signature or unsubscribe link
3 campaigns, 60 recipient records: 1 error, 0 warnings"

setup_good_layout() {
	cat >templates/layout.html <<'EOF'
<!DOCTYPE html>
<html><head><title>{{subject}}</title></head>
<body>{{#preheader}}<div style="display:none">{{preheader}}</div>{{/preheader}}
<h1>{{organization.name}}</h1>
{{{content}}}
</body></html>
EOF
}
check good_layout 0 "3 campaigns, 60 recipient records: 0 errors, 0 warnings"
export MAILOUT_SECRET=e2e-validate-secret-0123456789abcdef0123
run_mailout --repo "$TMPDIR/good_layout" preview december-update-dach --format html
expect_rc "preview with a layout" 0
grep -q '^<h1>Example GmbH</h1>$' "$TMPDIR/stdout" || fail "the layout frames the message" "$TMPDIR/stdout"
grep -q '^<p>Hello Jana,</p>$' "$TMPDIR/stdout" || fail "no inline styles inside a layout" "$TMPDIR/stdout"

# a link reference definition swallows a section tag
setup_tags_lost_in_markdown() {
	spring_news <<'EOF'
---
subject: News
---
Hello

[site]: https://example.com/{{#vip}}

{{/vip}}
EOF
}
check tags_lost_in_markdown 1 \
	"templates/spring-news.md:4:1: error: the mustache tags do not pair up in the HTML made from this Markdown ('{{/vip}}' closes no open section); put section tags on lines of their own
4 campaigns, 60 recipient records: 1 error, 0 warnings"

finish
