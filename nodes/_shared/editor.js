/*
 * Editor helpers shared by the home-energy nodes' edit dialogs (window.HomeEnergyEditor).
 * scripts/build.mjs puts this file, as a script block, at the top of every node's built editor HTML
 * (dist/nodes/<type>/<type>.html), so each node type carries it whatever other types are installed
 * or disabled; the first copy the editor loads defines it, later copies leave it alone.
 * Plain ES5 with jQuery: it runs in the Node-RED editor, not in Node.js.
 */
(function (root) {
    if (root.HomeEnergyEditor) return;
    function isEmpty(v) {
        return v === '' || v === undefined || v === null;
    }
    var DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    function cellOf(row, c, n) {
        var x = row[row.length === n ? c : Math.floor(c * row.length / n)];
        return x === undefined || x === '' ? null : x;
    }
    root.HomeEnergyEditor = {
        /**
         * A `validate` function for a number field: a number from min to max. Options: int (whole
         * numbers only), empty (an empty field is valid: "auto" or "off"), zero (0 is valid besides
         * the range: "off"), when(node) (check only while this returns true, e.g. for one transport).
         */
        number: function (min, max, opts) {
            opts = opts || {};
            return function (v) {
                if (opts.when && !opts.when(this)) return true;
                if (isEmpty(v)) return !!opts.empty;
                var n = Number(v);
                if (String(v).trim() === '' || !isFinite(n) || (opts.int && !Number.isInteger(n))) return false;
                return (opts.zero && n === 0) || (n >= min && n <= max);
            };
        },
        /**
         * A `validate` function for an IANA time-zone field ("Europe/Amsterdam"): valid when the
         * browser's Intl knows the zone, the same test the runtime makes (lib/util/local-time.ts
         * validTimeZone). Options: empty (a blank field is valid), when(node) as for number().
         */
        timeZone: function (opts) {
            opts = opts || {};
            return function (v) {
                if (opts.when && !opts.when(this)) return true;
                if (isEmpty(v) || String(v).trim() === '') return !!opts.empty;
                return root.HomeEnergyEditor.validTimeZone(String(v));
            };
        },
        /** True when the browser's Intl knows time zone tz. */
        validTimeZone: function (tz) {
            try {
                new Intl.DateTimeFormat('en-US', { timeZone: tz });
                return true;
            } catch (e) {
                return false;
            }
        },
        /** A `validate` function: the field must not be blank while when(node) returns true. */
        filled: function (when) {
            return function (v) {
                if (when && !when(this)) return true;
                return typeof v === 'string' ? v.trim().length > 0 : !isEmpty(v);
            };
        },
        /**
         * A field's value: what the open edit dialog shows, else the node's saved value (validators
         * run both while editing and on deploy). `config` for config nodes (node-config-input-…).
         */
        live: function (node, name, config) {
            var el = $('#node-' + (config ? 'config-' : '') + 'input-' + name);
            return el.length && el.val() ? el.val() : node[name];
        },
        /** Shows the rows of each class while the select's value is one of those listed for it. */
        showRows: function (select, rows) {
            function show() {
                var v = $(select).val();
                Object.keys(rows).forEach(function (cls) {
                    $('.' + cls).toggle(rows[cls].indexOf(v) >= 0);
                });
            }
            $(select).on('change', show);
            show();
        },
        /**
         * Offers the machine's serial ports in a datalist (typing any path still works). When the
         * runtime cannot list them (reply {ports, error}), says why under the port field.
         */
        serialPorts: function (datalist) {
            var list = $(datalist);
            function note(text) {
                list.siblings('.he-serial-note').remove();
                if (text) $('<div class="form-tips he-serial-note">').css('margin-top', '6px').text(text).insertAfter(list);
            }
            $.getJSON('home-energy/serial-ports')
                .done(function (reply) {
                    var ports = Array.isArray(reply) ? reply : (reply && reply.ports) || [];
                    list.empty();
                    ports.forEach(function (p) {
                        $('<option>').attr('value', p.path).text(p.manufacturer ? p.path + ' (' + p.manufacturer + ')' : p.path).appendTo(list);
                    });
                    note(reply && reply.error ? reply.error : '');
                })
                .fail(function (xhr) {
                    note('Cannot list serial ports (HTTP ' + (xhr && xhr.status) + '); type the device path, for example /dev/ttyUSB0.');
                });
        },
        /**
         * Config schemas of the node types (filled by the build from nodes/<type>/schema.ts, the
         * same schema the runtime reads the config with: lib/api/config.ts).
         */
        schemas: {},
        /**
         * A `validate` function for field `name` of node type `type`, from its config schema: type
         * number / integer (decimal text accepted, never hex), minimum, maximum, enum, minLength,
         * pattern; `x-empty` allows an empty field, `x-zero` allows 0 besides the range.
         * opts.when(node): check only while it returns true (fields of one transport, say).
         */
        check: function (type, name, opts) {
            opts = opts || {};
            var self = this;
            return function (v) {
                if (opts.when && !opts.when(this)) return true;
                var f = ((self.schemas[type] || {})[name]) || {};
                return self.fieldValid(f, v);
            };
        },
        /** True when value v satisfies field schema f (see check). */
        fieldValid: function (f, v) {
            if (isEmpty(v) || (typeof v === 'string' && v.trim() === '')) return !!f['x-empty'] || (f.type === 'boolean');
            if (f.type === 'number' || f.type === 'integer' || (f.enum && typeof f.enum[0] === 'number')) {
                if (typeof v === 'string' && !/^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v)) return false;
                var n = Number(v);
                if (!isFinite(n)) return false;
                if (f.enum) return f.enum.indexOf(n) >= 0;
                if (f.type === 'integer' && Math.floor(n) !== n) return false;
                if (f['x-zero'] && n === 0) return true;
                if (f.minimum !== undefined && n < f.minimum) return false;
                if (f.maximum !== undefined && n > f.maximum) return false;
                return true;
            }
            if (f.enum) return f.enum.indexOf(v) >= 0;
            if (f.type === 'string') {
                var t = String(v).trim();
                if (f.minLength && t.length < f.minLength) return false;
                if (f.pattern && !new RegExp(f.pattern).test(t)) return false;
            }
            return true;
        },
        /**
         * A saved week table (JSON: 7 rows, Monday first, of values or null = default) as 7 rows of n
         * cells; other row lengths are resized (an hour fills its quarters, an hour takes its first quarter).
         */
        readWeek: function (json, n) {
            var t = null;
            try { t = JSON.parse(json); } catch (e) { /* empty or not JSON: all default */ }
            var out = [];
            for (var d = 0; d < 7; d++) {
                var row = (Array.isArray(t) && Array.isArray(t[d]) && t[d]) || [];
                out.push([]);
                for (var c = 0; c < n; c++) out[d].push(cellOf(row, c, n));
            }
            return out;
        },
        /** The JSON a week table is saved as: '' while every cell is the default. */
        weekJson: function (table) {
            var empty = table.every(function (r) { return r.every(function (c) { return c === null; }); });
            return empty ? '' : JSON.stringify(table);
        },
        /**
         * The week grid (weekday × time of day) of the hidden input o.input holding the table's JSON
         * (readWeek/weekJson): click or drag to paint cells with o.brush() (null = default), copy a day,
         * clear; call again to redraw. o.cells: per day (24 or 96); o.color(value): CSS colour; o.copy:
         * [{ button, from: day 0–6 or the selector of a day select, to: [days] or a function returning
         * them (e.g. the days ticked in the dialog) }]; o.clear: button; o.change(table): called after
         * every change of the table.
         */
        weekGrid: function (container, o) {
            var self = this;
            var n = o.cells || 24;
            var table = self.readWeek($(o.input).val(), n);
            var painting = false;
            var last = null;
            var cells = [];
            var redraw = function () { self.weekGrid(container, o); };
            var save = function () {
                $(o.input).val(self.weekJson(table));
                if (o.change) o.change(table);
            };
            var bg = function (v) { return v === null ? '#fff' : o.color(v); };
            var title = function (d, c) {
                var m = c * (1440 / n);
                return DAYS[d] + ' ' + Math.floor(m / 60) + ':' + ('0' + (m % 60)).slice(-2) + ' ' + (table[d][c] === null ? '(default)' : table[d][c]);
            };
            function paint(cell) {
                var d = cell.data('d'); var c = cell.data('c'); var b = o.brush();
                // A fast drag along a day may skip cells (the browser merges mouse moves): fill from the last one.
                var from = last && last.d === d ? Math.min(last.c, c) : c;
                var to = last && last.d === d ? Math.max(last.c, c) : c;
                for (var k = from; k <= to; k++) {
                    table[d][k] = b === '' || b === undefined ? null : b;
                    cells[d][k].css('background', bg(table[d][k])).attr('title', title(d, k));
                }
                last = { d: d, c: c };
                save();
            }
            var grid = $('<table class="he-week">').css({ 'border-collapse': 'collapse', 'font-size': '10px', 'user-select': 'none' });
            var head = $('<tr>').append('<td></td>');
            for (var h = 0; h < 24; h++) head.append($('<td>').attr('colspan', n / 24).text(h).css('text-align', 'center'));
            grid.append(head);
            for (var d = 0; d < 7; d++) {
                var row = $('<tr>').append($('<td>').text(DAYS[d]).css('padding-right', '4px'));
                cells[d] = [];
                for (var c = 0; c < n; c++) {
                    cells[d][c] = $('<td class="he-cell">').data({ d: d, c: c }).attr('title', title(d, c))
                        .css({ border: '1px solid #ccc', width: n === 24 ? '14px' : '4px', height: '14px', background: bg(table[d][c]), cursor: 'pointer' })
                        .on('mousedown', function (e) {
                            painting = true;
                            last = null;
                            $(document).one('mouseup', function () { painting = false; last = null; });
                            paint($(this)); e.preventDefault();
                        })
                        .on('mouseenter', function () { if (painting) paint($(this)); })
                        .appendTo(row);
                }
                grid.append(row);
            }
            $(container).empty().append(grid);
            (o.copy || []).forEach(function (k) {
                $(k.button).off('click').on('click', function () {
                    var from = typeof k.from === 'number' ? k.from : Number($(k.from).val());
                    var to = typeof k.to === 'function' ? k.to() : k.to;
                    (to || []).forEach(function (t) { if (t !== from && t >= 0 && t < 7) table[t] = table[from].slice(); });
                    save(); redraw();
                });
            });
            if (o.clear) $(o.clear).off('click').on('click', function () { $(o.input).val(''); if (o.change) o.change(self.readWeek('', n)); redraw(); });
        },
        /** labelStyle: italic while the node has a name of its own. */
        labelStyle: function () {
            return this.name ? 'node_label_italic' : '';
        }
    };
})(window);
