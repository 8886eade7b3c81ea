/*
 * The status site's only script (no libraries; it loads nothing but the
 * site's own data scripts).
 *
 * Campaign lists (id="campaigns"): each page of a list is static HTML
 * (index.html, index-2.html, ...; src/site_pages.c).  Search, filters,
 * sorting and paging work on the whole list, whose compact rows are in
 * script files next to the page (index-data-1.js, ...: src/site_list.c;
 * script elements, because browsers refuse fetch() under file://).  They
 * are loaded when a person first reaches for the controls or the URL asks
 * for a view, the search index and the sort orders are built once, and
 * only the rows of the page shown are rendered, the same markup as the
 * static pages.  The state lives in the URL's query (q, department, owner,
 * vip, status, sort, order, page), so a view can be shared and survives a
 * reload.
 *
 * Unsubscribe page (id="unsubscribe"): reads the token from the fragment
 * and prepares the e-mail and the one-click form.  Nothing is sent until
 * the person clicks.
 */
(function () {
	'use strict';

	var FILTERS = ['department', 'owner', 'vip', 'status'];
	var NUMERIC = { status: 1, completion: 1, sent_today: 1, recipients: 1 };
	/* the fields of a row of the list's data */
	var ID = 0, NAME = 1, TYPE = 2, STATUS = 3, COMPLETION = 4, OWNER = 5, DEPARTMENT = 6, VIP = 7,
		SENT_TODAY = 8, RECIPIENTS = 9, ACCOUNTS = 10, NOTES = 11, CRITICAL = 12;
	var FIELD = { name: NAME, recipient_type: TYPE, status: STATUS, completion: COMPLETION,
		owner: OWNER, sent_today: SENT_TODAY, recipients: RECIPIENTS };
	var HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
	var parts = [], partArrived = null;

	/* what each data script calls */
	window.mailoutList = function (part) {
		parts[part.chunk - 1] = part;
		if (partArrived)
			partArrived();
	};

	function byId(id) {
		return document.getElementById(id);
	}

	/* HTML text or attribute value, as src/buf.c's buf_add_html() */
	function esc(s) {
		return String(s).replace(/[\t\n\r]/g, '').replace(/[\x00-\x1f\x7f]/g, '\ufffd')
			.replace(/[&<>"']/g, function (c) {
				return HTML[c];
			});
	}

	/* 1234567 -> "1,234,567" */
	function count(n) {
		return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	}

	function plural(n) {
		return n === 1 ? ' campaign' : ' campaigns';
	}

	/* ---- the rows, as src/site_pages.c writes them ---- */

	function timeHtml(iso, local) {
		return iso ? '<time datetime="' + esc(iso) + '">' + esc(local) + '</time>' : '—';
	}

	/* n: [iso, local, account, recipient, message]; other: the campaign
	 * that recorded a critical one, when not this one */
	function noteHtml(n, critical, other) {
		return (critical ? '<p class="note critical"><strong>Interrupted by</strong> ' : '<p class="note">') +
			timeHtml(n[0], n[1]) + ' <span class="who">' + esc(n[2]) +
			(n[3] ? ' · ' + esc(n[3]) : '') + '</span>' +
			(other ? ' <span class="muted">(recorded by campaign <code>' + esc(other) + '</code>)</span>' : '') +
			'<br>' + esc(n[4]) + '</p>';
	}

	/* As put_notes_cell(): the critical error first, standing for the
	 * latest when it is that one. */
	function notesHtml(r) {
		var notes = r[NOTES], crit = r[CRITICAL] || [], total, html = '', latest, i;

		if (crit.length)
			html = noteHtml(crit[0], true, crit[1]);
		if (!notes.length)
			return crit.length ? html : '<span class="muted">none</span>';
		total = notes[0];
		latest = notes[1];
		if (!crit.length || latest[0] !== crit[0][0] || latest[4] !== crit[0][4])
			html += noteHtml(latest);
		if (total <= 1)
			return html;
		html += '<details><summary>' + count(total - 1) + (total === 2 ? ' earlier notification' :
			' earlier notifications') + '</summary><div class="note-scroll" tabindex="0" role="group" ' +
			'aria-label="Earlier notifications of ' + esc(r[ID]) + '">';
		for (i = 2; i < notes.length; i++)
			html += noteHtml(notes[i]);
		if (total > notes.length - 1)
			html += '<p class="note muted">The campaign page lists the latest ' + (notes.length - 1) + '.</p>';
		return html + '</div></details>';
	}

	function starsHtml(r) {
		var html = '<ul class="stars">';

		if (!r[ACCOUNTS].length)
			return '<span class="state-bad">none</span>';
		r[ACCOUNTS].forEach(function (a) {
			var usable = a.length === 1;
			html += '<li><span class="star ' + (usable ? 'ok' : 'bad') + '" title="' + esc(a[0]) + ': ' +
				esc(usable ? 'usable' : a[1]) + '" aria-hidden="true">★</span><span class="sr-only">' +
				esc(a[0]) + (usable ? ': usable' : ': not usable, ' + esc(a[1])) + '</span></li>';
		});
		return html + '</ul>';
	}

	function rowHtml(list, r) {
		var page = list.root + 'campaigns/' + esc(r[ID]) + '/index.html';
		var type = list.types[r[TYPE]] || 'unknown';
		var status = list.statuses[r[STATUS]];
		var pct = r[COMPLETION];

		return '<tr data-id="' + esc(r[ID]) + '">\n<td class="name" data-label="Name"><a href="' + page + '">' +
			esc(r[NAME]) + '</a><span class="sub"><code class="id">' + esc(r[ID]) + '</code>' +
			(r[VIP] ? '<span class="tag">VIP only</span>' : '') + '<a class="preview-link" href="' + page +
			'#preview">Preview<span class="sr-only"> of ' + esc(r[NAME]) + '</span></a></span></td>\n' +
			'<td data-label="Type">' + esc(type.charAt(0).toUpperCase() + type.slice(1)) + '</td>\n' +
			'<td data-label="Status"><span class="badge badge-' + status[0] + '">' + esc(status[1]) +
			'</span></td>\n<td data-label="Completion"><div class="completion"><svg class="bar' +
			(pct >= 100 ? ' done' : '') + '" viewBox="0 0 100 8" preserveAspectRatio="none" ' +
			'aria-hidden="true" focusable="false"><rect class="bar-track" width="100" height="8" rx="2"/>' +
			'<rect class="bar-fill" width="' + pct + '" height="8" rx="2"/></svg><span>' + pct +
			'%</span></div></td>\n<td data-label="Owner">' + esc(list.ownerName(r)) + '</td>\n' +
			'<td class="num" data-label="Sent today">' + count(r[SENT_TODAY]) + '</td>\n' +
			'<td class="num" data-label="Recipients">' + count(r[RECIPIENTS]) + '</td>\n' +
			'<td data-label="Accounts">' + starsHtml(r) + '</td>\n' +
			'<td class="notes" data-label="Notifications">' + notesHtml(r) + '</td>\n</tr>\n';
	}

	/* ---- the whole list: loaded once, indexed once ---- */

	/* Loads the list's data scripts and calls done(list), or fail(). */
	function loadList(table, done, fail) {
		var chunks = Number(table.getAttribute('data-chunks')) || 1;
		var failed = false, k, script;

		function arrived() {
			var i;

			for (i = 0; i < chunks; i++) {
				if (!parts[i])
					return;
			}
			partArrived = null;
			done(makeList(parts));
		}
		partArrived = arrived;
		for (k = 1; k <= chunks; k++) {
			script = document.createElement('script');
			script.src = 'index-data-' + k + '.js';
			script.onerror = function () {
				if (!failed)
					fail();
				failed = true;
			};
			document.head.appendChild(script);
		}
	}

	function makeList(chunks) {
		var list = { rows: [], hay: [], orders: {} };
		var first = chunks[0];
		var collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

		chunks.forEach(function (part) {
			Array.prototype.push.apply(list.rows, part.rows);
		});
		list.people = first.people;
		list.types = first.types;
		list.statuses = first.statuses;
		list.root = byId('campaigns').getAttribute('data-root') || '';
		list.ownerName = function (r) {
			return list.people[r[OWNER]] || r[OWNER];
		};
		list.hay = list.rows.map(function (r) {
			return (r[NAME] + '\n' + r[ID]).toLowerCase();
		});
		/* the rows in ascending order of a column, made when first asked */
		list.order = function (key) {
			var field = FIELD[key], value, idx, i;

			if (list.orders[key])
				return list.orders[key];
			value = list.rows.map(function (r) {
				return key === 'owner' ? list.ownerName(r) : key === 'recipient_type' ?
					list.types[r[TYPE]] || '' : r[field];
			});
			idx = [];
			for (i = 0; i < list.rows.length; i++)
				idx.push(i);
			idx.sort(NUMERIC[key] ? function (a, b) {
				return value[a] - value[b] || a - b;
			} : function (a, b) {
				return collator.compare(value[a], value[b]) || a - b;
			});
			list.orders[key] = idx;
			return idx;
		};
		return list;
	}

	/* ---- the table: its controls, the URL, the pages ---- */

	function campaignTable() {
		var table = byId('campaigns');
		var controls = byId('controls');
		var search = byId('search');
		var sortBy = byId('sort-by');
		var countEl = byId('result-count');
		var empty = byId('no-match');
		var reset = byId('reset');
		var list = null, loading = false, waiting = [];
		var headers, sortKey = '', order = 'asc', page, staticPage, pageRows, total;
		/* the rows made so far by id (the static page's first), and the ids
		 * shown: a row already there stays, so that a keystroke that keeps
		 * the page's rows touches no row and the browser lays out nothing */
		var made = {}, nmade = 0, shownIds = [], pagerShown = null;

		if (!table || !search || !controls)
			return;
		headers = Array.prototype.slice.call(table.querySelectorAll('th[data-sort]'));
		staticPage = Number(table.getAttribute('data-page')) || 1;
		pageRows = Number(table.getAttribute('data-page-rows')) || 50;
		total = Number(table.getAttribute('data-rows')) || 0;
		page = staticPage;
		Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
			made[tr.getAttribute('data-id')] = tr;
			shownIds.push(tr.getAttribute('data-id'));
			nmade++;
		});

		function select(name) {
			return byId('filter-' + name);
		}

		/* runs then(list) once the list's data is there */
		function withList(then) {
			if (list) {
				then();
				return;
			}
			waiting.push(then);
			if (loading)
				return;
			loading = true;
			table.setAttribute('aria-busy', 'true');
			loadList(table, function (l) {
				list = l;
				table.removeAttribute('aria-busy');
				waiting.splice(0).forEach(function (f) {
					f();
				});
			}, function () {
				table.removeAttribute('aria-busy');
				countEl.textContent = 'The list could not be loaded; search, filters and sorting are not available.';
			});
		}

		function filtered() {
			return !!search.value.trim() || FILTERS.some(function (name) {
				return !!select(name).value;
			});
		}

		/* the rows to show, in order: indexes into list.rows */
		function matching() {
			var query = search.value.trim().toLowerCase();
			var want = {}, out = [], order0, i, j, r;

			FILTERS.forEach(function (name) {
				want[name] = select(name).value;
			});
			order0 = sortKey ? list.order(sortKey) : null;
			for (j = 0; j < list.rows.length; j++) {
				i = !order0 ? j : order === 'desc' ? order0[list.rows.length - 1 - j] : order0[j];
				r = list.rows[i];
				if ((query && list.hay[i].indexOf(query) < 0) ||
				    (want.department && r[DEPARTMENT] !== want.department) ||
				    (want.owner && r[OWNER] !== want.owner) ||
				    (want.vip && (want.vip === 'yes') !== !!r[VIP]) ||
				    (want.status && list.statuses[r[STATUS]][0] !== want.status))
					continue;
				out.push(i);
			}
			return out;
		}

		/* the query of the view; with page when asked */
		function query(withPage) {
			var q = new URLSearchParams();

			if (search.value)
				q.set('q', search.value);
			FILTERS.forEach(function (name) {
				if (select(name).value)
					q.set(name, select(name).value);
			});
			if (sortKey) {
				q.set('sort', sortKey);
				q.set('order', order);
			}
			if (withPage !== undefined)
				q.set('page', String(withPage));
			return q.toString();
		}

		function pageHref(n) {
			var q = query();

			if (!q)
				return n === 1 ? 'index.html' : 'index-' + n + '.html';
			return '?' + query(n);
		}

		function writeUrl() {
			var q = query(page !== staticPage || (query() && page !== 1) ? page : undefined);

			try {
				history.replaceState(null, '', location.pathname + (q ? '?' + q : '') + location.hash);
			} catch (e) {
				/* some browsers refuse history changes on file:// pages */
			}
		}

		/* as src/site_list.c's site_put_pager() */
		function pagerHtml(pages) {
			var html = '<p class="pager-at">Page ' + page + ' of ' + pages + '</p><ul>', last = 0, p;

			function link(n, rel, label) {
				return '<li><a href="' + esc(pageHref(n)) + '" data-page="' + n + '"' +
					(rel ? ' rel="' + rel + '"' : n === page ? ' aria-current="page"' : '') + '>' +
					(label || '<span class="sr-only">Page </span>' + n) + '</a></li>';
			}
			if (page > 1)
				html += link(page - 1, 'prev', 'Previous');
			for (p = 1; p <= pages; p++) {
				if (p !== 1 && p !== pages && (p + 2 < page || p > page + 2))
					continue;
				if (last && p > last + 1)
					html += '<li class="gap" aria-hidden="true">…</li>';
				html += link(p);
				last = p;
			}
			if (page < pages)
				html += link(page + 1, 'next', 'Next');
			return html + '</ul>';
		}

		function countText(shown, from, to) {
			if (!filtered())
				return total <= pageRows ? 'Showing all ' + count(total) + plural(total) :
					'Showing ' + count(from + 1) + '–' + count(to) + ' of ' + count(total) + plural(total);
			if (shown <= pageRows)
				return 'Showing ' + count(shown) + ' of ' + count(total) + plural(total);
			return 'Showing ' + count(from + 1) + '–' + count(to) + ' of ' + count(shown) +
				' matching campaigns (' + count(total) + ' in all)';
		}

		function showSort() {
			headers.forEach(function (th) {
				if (th.getAttribute('data-sort') === sortKey)
					th.setAttribute('aria-sort', order === 'desc' ? 'descending' : 'ascending');
				else
					th.removeAttribute('aria-sort');
			});
			if (sortBy)
				sortBy.value = sortKey ? sortKey + ':' + order : '';
		}

		/* the rows of list.rows[indexes] in the table body, in that order:
		 * the ones not made yet in one parse, each other one left where it
		 * is when it is already there */
		function showRows(indexes) {
			var body = table.tBodies[0], parse, html = '', ids, k, tr;

			ids = indexes.map(function (i) {
				return list.rows[i][ID];
			});
			if (ids.length === shownIds.length && ids.every(function (id, j) {
				return id === shownIds[j];
			}))
				return;
			if (nmade > 2000) {
				made = {};
				nmade = 0;
			}
			indexes.forEach(function (i) {
				if (!made[list.rows[i][ID]])
					html += rowHtml(list, list.rows[i]);
			});
			if (html) {
				parse = document.createElement('tbody');
				parse.innerHTML = html;
				Array.prototype.slice.call(parse.rows).forEach(function (row) {
					made[row.getAttribute('data-id')] = row;
					nmade++;
				});
			}
			for (k = 0; k < ids.length; k++) {
				tr = made[ids[k]];
				if (body.rows[k] !== tr)
					body.insertBefore(tr, body.rows[k] || null);
			}
			while (body.rows.length > ids.length)
				body.removeChild(body.rows[ids.length]);
			shownIds = ids;
		}

		/* renders the page of the view: its rows only */
		function render() {
			var shown = matching(), pages = Math.max(1, Math.ceil(shown.length / pageRows));
			var pager = byId('pager'), from, to, text, html;

			page = Math.min(Math.max(1, page), pages);
			from = (page - 1) * pageRows;
			to = Math.min(from + pageRows, shown.length);
			showRows(shown.slice(from, to));
			text = countText(shown.length, from, to);
			if (countEl.textContent !== text)
				countEl.textContent = text;
			if (empty)
				empty.hidden = shown.length > 0;
			if (pager) {
				pager.hidden = pages <= 1;
				html = pages > 1 ? pagerHtml(pages) : '';
				if (html !== pagerShown)
					pager.innerHTML = html;
				pagerShown = html;
			}
			writeUrl();
		}

		/* a change of the view: back to its first page unless told */
		function apply(keepPage) {
			if (!keepPage)
				page = 1;
			showSort();
			withList(render);
		}

		function readUrl() {
			var q = new URLSearchParams(location.search);
			var key = q.get('sort');

			search.value = q.get('q') || '';
			FILTERS.forEach(function (name) {
				var el = select(name), value = q.get(name) || '';
				var known = Array.prototype.some.call(el.options, function (o) {
					return o.value === value;
				});
				el.value = known ? value : '';
			});
			sortKey = headers.some(function (th) {
				return th.getAttribute('data-sort') === key;
			}) ? key : '';
			order = q.get('order') === 'desc' ? 'desc' : 'asc';
			page = Number(q.get('page')) || staticPage;
			return ['q', 'sort', 'page'].concat(FILTERS).some(function (name) {
				return q.has(name);
			});
		}

		function sortOn(key) {
			if (sortKey === key) {
				order = order === 'asc' ? 'desc' : 'asc';
			} else {
				sortKey = key;
				order = 'asc';
			}
			apply();
		}

		controls.addEventListener('submit', function (e) {
			e.preventDefault();
			apply();
		});
		/* the data comes while the person is still choosing */
		controls.addEventListener('focusin', function () {
			withList(function () {});
		});
		search.addEventListener('input', function () {
			apply();
		});
		FILTERS.forEach(function (name) {
			select(name).addEventListener('change', function () {
				apply();
			});
		});
		if (sortBy) {
			sortBy.addEventListener('change', function () {
				var v = sortBy.value.split(':');
				sortKey = v[0] || '';
				order = v[1] === 'desc' ? 'desc' : 'asc';
				apply();
			});
		}
		headers.forEach(function (th) {
			var button = th.querySelector('button');
			(button || th).addEventListener('click', function () {
				sortOn(th.getAttribute('data-sort'));
			});
		});
		if (byId('pager')) {
			byId('pager').addEventListener('click', function (e) {
				var a = e.target.closest('a[href]');
				/* the static pages of the unfiltered list need no data */
				if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button || (!list && !query()))
					return;
				e.preventDefault();
				page = Number(a.getAttribute('data-page')) ||
					Number((/index-(\d+)\.html$/.exec(a.getAttribute('href')) || [0, 1])[1]);
				showSort();
				withList(function () {
					render();
					table.focus();
				});
			});
		}
		if (reset) {
			reset.addEventListener('click', function () {
				search.value = '';
				FILTERS.forEach(function (name) {
					select(name).value = '';
				});
				apply();
				search.focus();
			});
		}
		controls.hidden = false;
		table.classList.add('sortable');
		if (readUrl())
			apply(true);
		else
			showSort();
	}

	/* v1.KEYID.CAMPAIGN.RECIPIENT.MAC, as src/token.h makes them */
	var TOKEN = /^v1\.[A-Za-z0-9_-]{6}\.[a-z0-9][a-z0-9-]{0,199}\.[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.[A-Za-z0-9_-]{43}$/;

	function unsubscribePage() {
		var root = byId('unsubscribe');
		var token, address, oneClick, form, mail;

		if (!root)
			return;
		byId('token-ok').hidden = true;
		byId('token-missing').hidden = true;
		token = location.hash.replace(/^#/, '');
		try {
			token = decodeURIComponent(token);
		} catch (e) {
			token = '';
		}
		token = token.trim();
		if (!TOKEN.test(token)) {
			byId('token-missing').hidden = false;
			return;
		}
		address = root.getAttribute('data-address');
		oneClick = root.getAttribute('data-one-click');
		mail = byId('unsubscribe-mail');
		mail.href = 'mailto:' + address + '?subject=' + encodeURIComponent('unsubscribe ' + token);
		form = byId('one-click');
		if (form && oneClick)
			form.elements.t.value = token; /* in the body: no server logs it */
		byId('token-ok').hidden = false;
	}

	function start() {
		campaignTable();
		unsubscribePage();
		window.addEventListener('hashchange', unsubscribePage);
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
}());
