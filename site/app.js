/*
 * The status site's only script (no libraries, no requests).
 *
 * Campaign tables (id="campaigns"): search, filters and sorting over the rows
 * that the page already shows; the rows' values come from the JSON in
 * <script type="application/json" id="campaign-data">.  The state lives in
 * the URL's query (q, department, owner, vip, status, sort, order), so a
 * filtered view can be shared and survives a reload.
 *
 * Unsubscribe page (id="unsubscribe"): reads the token from the fragment
 * and puts it into the one-click form (the page's first action, a POST to
 * `mailout serve`) and the e-mail.  Nothing is sent until the person
 * clicks.
 */
(function () {
	'use strict';

	var FILTERS = ['department', 'owner', 'vip', 'status'];
	var NUMERIC = { status: 1, completion: 1, sent_today: 1, recipients: 1 };

	function byId(id) {
		return document.getElementById(id);
	}

	function campaignTable() {
		var table = byId('campaigns');
		var dataEl = byId('campaign-data');
		var controls = byId('controls');
		var search = byId('search');
		var count = byId('result-count');
		var empty = byId('no-match');
		var reset = byId('reset');
		var records = {};
		var rows, headers, params, sortKey = '', order = 'asc';

		if (!table || !dataEl || !search)
			return;
		JSON.parse(dataEl.textContent).forEach(function (c) {
			records[c.id] = c;
		});
		rows = Array.prototype.slice.call(table.tBodies[0].rows).filter(function (tr) {
			return records[tr.getAttribute('data-id')];
		});
		headers = Array.prototype.slice.call(table.querySelectorAll('th[data-sort]'));

		function select(name) {
			return byId('filter-' + name);
		}

		function matches(c, query) {
			var i, name, value;

			if (query && c.name.toLowerCase().indexOf(query) < 0 &&
			    c.id.toLowerCase().indexOf(query) < 0)
				return false;
			for (i = 0; i < FILTERS.length; i++) {
				name = FILTERS[i];
				value = select(name).value;
				if (!value)
					continue;
				if (name === 'vip') {
					if ((value === 'yes') !== c.vip)
						return false;
				} else if (name === 'status') {
					if (c.status_name !== value)
						return false;
				} else if (c[name] !== value) {
					return false;
				}
			}
			return true;
		}

		function compare(a, b) {
			var x = records[a.getAttribute('data-id')], y = records[b.getAttribute('data-id')];
			var key = sortKey === 'owner' ? 'owner_name' : sortKey;
			var r;

			if (NUMERIC[sortKey])
				r = x[key] - y[key];
			else
				r = String(x[key]).localeCompare(String(y[key]), undefined, { sensitivity: 'base', numeric: true });
			return order === 'desc' ? -r : r;
		}

		function writeUrl() {
			var q = new URLSearchParams();
			var url;

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
			url = location.pathname + (q.toString() ? '?' + q.toString() : '') + location.hash;
			try {
				history.replaceState(null, '', url);
			} catch (e) {
				/* some browsers refuse history changes on file:// pages */
			}
		}

		function apply() {
			var query = search.value.trim().toLowerCase();
			var shown = 0, ordered = rows.slice();
			var body = table.tBodies[0];

			rows.forEach(function (tr) {
				var ok = matches(records[tr.getAttribute('data-id')], query);
				tr.hidden = !ok;
				shown += ok ? 1 : 0;
			});
			if (sortKey)
				ordered.sort(compare);
			ordered.forEach(function (tr) {
				body.appendChild(tr);
			});
			headers.forEach(function (th) {
				var key = th.getAttribute('data-sort');
				if (key === sortKey)
					th.setAttribute('aria-sort', order === 'desc' ? 'descending' : 'ascending');
				else
					th.removeAttribute('aria-sort');
			});
			count.textContent = shown === rows.length ?
				'Showing all ' + rows.length + ' campaign' + (rows.length === 1 ? '' : 's') :
				'Showing ' + shown + ' of ' + rows.length + ' campaign' + (rows.length === 1 ? '' : 's');
			if (empty)
				empty.hidden = shown > 0;
			writeUrl();
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
		}

		controls.addEventListener('submit', function (e) {
			e.preventDefault();
		});
		search.addEventListener('input', apply);
		FILTERS.forEach(function (name) {
			select(name).addEventListener('change', apply);
		});
		headers.forEach(function (th) {
			var button = th.querySelector('button');
			(button || th).addEventListener('click', function () {
				var key = th.getAttribute('data-sort');
				if (sortKey === key) {
					order = order === 'asc' ? 'desc' : 'asc';
				} else {
					sortKey = key;
					order = 'asc';
				}
				apply();
			});
		});
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
		readUrl();
		apply();
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
