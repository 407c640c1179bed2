#!/usr/bin/env python3
"""Renders small Jinja feature snippets with Python jinja2 configured as Hugging Face transformers
configures it for chat templates, and writes tests/golden/jinja/features.json for jinja_test.

Environment: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[loopcontrols, a {% generation %} tag that renders its body]); filters['tojson'] =
json.dumps(x, ensure_ascii=False, indent, separators, sort_keys); globals raise_exception and
strftime_now (time fixed at NOW_EPOCH, UTC).

Each entry: {name, template, context, output} or {name, template, context, error} when jinja2
raises. Dev-only: needs `pip install jinja2`.

    python3 tools/make_jinja_feature_goldens.py   # rewrites tests/golden/jinja/features.json
"""
import json
import os
import sys
from datetime import datetime, timezone

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

NOW_EPOCH = 1721952000  # 2024-07-26 00:00:00 UTC; jinja_test passes the same value


class GenerationTag(jinja2.ext.Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.fromtimestamp(NOW_EPOCH, timezone.utc).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


MSGS = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"}]
D = {"b": 2, "a": 1, "c": 3}
USERS = [{"name": "Bob", "age": 30, "admin": True}, {"name": "alice", "age": 25, "admin": False},
         {"name": "Carl", "age": 35}]

# (name, template, context)
SNIPPETS = [
    # --- literals and printing ---
    ("lit_int", "{{ 42 }}|{{ -7 }}|{{ 1_000 }}|{{ 0x1F }}", {}),
    ("lit_float", "{{ 1.0 }}|{{ 1.5 }}|{{ 1e3 }}|{{ 2.5e-3 }}|{{ 1e20 }}|{{ 1e-7 }}|{{ 0.1 + 0.2 }}", {}),
    ("lit_float_ctx", "{{ x }}|{{ y }}|{{ z }}", {"x": 3.0, "y": 0.001, "z": 12345678.9}),
    ("lit_bool_none", "{{ true }}|{{ True }}|{{ false }}|{{ False }}|{{ none }}|{{ None }}", {}),
    ("lit_string_escapes", "{{ 'a\\nb' }}|{{ \"q\\\"q\" }}|{{ 'it\\'s' }}|{{ 'tab\\tx' }}|{{ '\\u00e9\\x41' }}|{{ 'back\\\\slash' }}", {}),
    ("lit_string_concat_adjacent", "{{ 'ab' 'cd' }}", {}),
    ("lit_list", "{{ [1, 'a', none, true, 1.5] }}", {}),
    ("lit_tuple", "{{ (1, 2) }}|{{ (1,) }}|{{ () }}", {}),
    ("lit_dict", "{{ {'a': 1, 'b': [1, 2], 'c': {'d': none}} }}", {}),
    ("repr_quotes", "{{ [\"it's\", 'say \"x\"', 'both \\' \"'] }}", {}),
    ("print_ctx_values", "{{ l }}|{{ d }}|{{ n }}|{{ b }}", {"l": [1, "x"], "d": {"k": "v"}, "n": None, "b": False}),
    ("unicode_passthrough", "{{ s }}|{{ s | length }}|{{ s[1] }}|{{ s[::-1] }}", {"s": "héllo wörld ✓"}),
    # --- arithmetic ---
    ("arith_basic", "{{ 1 + 2 }}|{{ 5 - 8 }}|{{ 3 * 4 }}|{{ 10 / 4 }}|{{ 10 / 5 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 7 % -3 }}", {}),
    ("arith_pow", "{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 2.0 ** 3 }}|{{ 2 ** 3 ** 2 }}", {}),
    ("arith_float_mix", "{{ 1 + 1.5 }}|{{ 3 * 0.5 }}|{{ 7.5 // 2 }}|{{ 7.5 % 2 }}|{{ true + 1 }}", {}),
    ("arith_precedence", "{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ -2 ** 2 }}|{{ 2 * -3 }}|{{ 10 - 2 - 3 }}", {}),
    ("arith_string_mul", "{{ 'ab' * 3 }}|{{ 3 * 'x' }}|{{ 'a' * 0 }}|{{ [1, 2] * 2 }}", {}),
    ("arith_list_add", "{{ [1] + [2, 3] }}|{{ 'a' + 'b' }}", {}),
    ("arith_div_zero", "{{ 1 / 0 }}", {}),
    ("arith_floordiv_zero", "{{ 1 // 0 }}", {}),
    ("arith_type_error", "{{ 'a' + 1 }}", {}),
    ("arith_undefined_error", "{{ nope + 1 }}", {}),
    ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ true ~ nope ~ [1] }}", {}),
    # --- comparisons and logic ---
    ("compare_ops", "{{ 1 < 2 }}|{{ 2 <= 2 }}|{{ 3 > 4 }}|{{ 3 >= 3 }}|{{ 1 == 1.0 }}|{{ 'a' != 'b' }}|{{ 'abc' < 'abd' }}|{{ [1, 2] < [1, 3] }}", {}),
    ("compare_chain", "{{ 1 < 2 < 3 }}|{{ 1 < 3 < 2 }}", {}),
    ("compare_mixed_eq", "{{ 1 == '1' }}|{{ none == none }}|{{ true == 1 }}|{{ [1] == [1] }}|{{ {'a': 1} == {'a': 1} }}", {}),
    ("compare_type_error", "{{ 1 < 'a' }}", {}),
    ("logic_and_or", "{{ true and false }}|{{ 0 or 'x' }}|{{ '' or [] }}|{{ 1 and 2 }}|{{ none and 1 }}|{{ not 0 }}|{{ not 'a' }}", {}),
    ("logic_precedence", "{{ not true or true }}|{{ not (true or true) }}|{{ false and true or true }}", {}),
    ("in_operator", "{{ 'a' in 'cat' }}|{{ 2 in [1, 2] }}|{{ 'k' in {'k': 1} }}|{{ 'z' not in 'cat' }}|{{ 3 not in [1] }}|{{ 'x' in nope }}", {}),
    ("in_type_error", "{{ 1 in 'abc' }}", {}),
    ("truthiness", "{% for v in [0, 1, '', 'a', [], [0], {}, {'a': 1}, none, 0.0, 0.5] %}{{ 'T' if v else 'F' }}{% endfor %}", {}),
    ("truthiness_ctx", "{{ 'T' if e else 'F' }}{{ 'T' if nope else 'F' }}{{ 'T' if d else 'F' }}", {"e": [], "d": {"a": 0}}),
    # --- conditional expression ---
    ("condexpr", "{{ 'yes' if x else 'no' }}|{{ 'yes' if not x else 'no' }}|[{{ 'only' if false }}]", {"x": 1}),
    ("condexpr_nested", "{{ 'a' if x == 1 else 'b' if x == 2 else 'c' }}", {"x": 2}),
    # --- attribute / item access ---
    ("attr_item", "{{ m.role }}|{{ m['content'] }}|{{ l[0] }}|{{ l[-1] }}|{{ l.1 }}", {"m": {"role": "user", "content": "hi"}, "l": [10, 20, 30]}),
    ("attr_missing", "[{{ m.nope }}][{{ m['nope'] }}][{{ l[10] }}][{{ none.x }}]", {"m": {}, "l": [1]}),
    ("attr_of_undefined_error", "{{ nope.x }}", {}),
    ("attr_of_missing_error", "{{ m.a.b }}", {"m": {}}),
    ("item_of_undefined_error", "{{ nope['x'] }}", {}),
    ("nested_access", "{{ d.a.b[1].c }}", {"d": {"a": {"b": [{}, {"c": "deep"}]}}}),
    ("slicing", "{{ l[1:3] }}|{{ l[:2] }}|{{ l[2:] }}|{{ l[::2] }}|{{ l[::-1] }}|{{ l[-2:] }}|{{ l[5:9] }}|{{ s[1:4] }}|{{ s[::-1] }}", {"l": [0, 1, 2, 3, 4], "s": "abcdef"}),
    ("slicing_neg_step", "{{ l[3:0:-1] }}|{{ l[:-1] }}|{{ l[-1:-4:-2] }}", {"l": [0, 1, 2, 3, 4]}),
    # --- filters ---
    ("f_trim", "[{{ '  a b \\n' | trim }}][{{ 'xxaxx' | trim('x') }}]", {}),
    ("f_tojson_basic", "{{ v | tojson }}", {"v": {"a": [1, 2.5, "x", None, True], "b": {}, "c": [], "é": "ü\n\"q\""}}),
    ("f_tojson_indent", "{{ v | tojson(indent=2) }}", {"v": {"a": [1, {"b": 2}], "c": [], "d": {}}}),
    ("f_tojson_indent_pos", "{{ v | tojson(4) }}", {"v": [1, [2]]}),
    ("f_tojson_separators_sort", "{{ v | tojson(separators=(',', ':'), sort_keys=true) }}", {"v": {"b": 1, "a": [1, 2]}}),
    ("f_tojson_scalars", "{{ 'x' | tojson }}|{{ 1 | tojson }}|{{ 1.0 | tojson }}|{{ none | tojson }}|{{ true | tojson }}|{{ '\\u0001<>&' | tojson }}", {}),
    ("f_tojson_undefined_error", "{{ nope | tojson }}", {}),
    ("f_length", "{{ [1, 2] | length }}|{{ 'abc' | length }}|{{ {'a': 1} | length }}|{{ nope | length }}|{{ [1] | count }}", {}),
    ("f_join", "{{ [1, 2, 3] | join(', ') }}|{{ ['a', 'b'] | join }}|{{ users | join('/', attribute='name') }}", {"users": USERS}),
    ("f_upper_lower", "{{ 'aBc' | upper }}|{{ 'aBc' | lower }}|{{ nope | upper }}", {}),
    ("f_default", "{{ nope | default('dflt') }}|{{ nope | d('d2') }}|{{ '' | default('e') }}|{{ '' | default('e', true) }}|{{ none | default('n') }}|{{ 0 | d(5, boolean=true) }}|{{ nope | default }}", {}),
    ("f_items", "{% for k, v in d | items %}{{ k }}={{ v }};{% endfor %}|{{ nope | items | list }}", {"d": D}),
    ("f_first_last", "{{ [1, 2, 3] | first }}|{{ [1, 2, 3] | last }}|{{ 'abc' | first }}|[{{ [] | first }}]", {}),
    ("f_selectattr", "{{ users | selectattr('admin') | map(attribute='name') | join(',') }}|{{ users | rejectattr('admin') | map(attribute='name') | join(',') }}", {"users": USERS}),
    ("f_selectattr_test", "{{ users | selectattr('age', 'gt', 26) | map(attribute='name') | list }}|{{ users | selectattr('admin', 'defined') | list | length }}|{{ users | selectattr('name', 'equalto', 'Bob') | list | length }}", {"users": USERS}),
    ("f_selectattr_eq", "{{ msgs | selectattr('role', '==', 'user') | map(attribute='content') | first }}", {"msgs": MSGS}),
    ("f_map", "{{ [1, 2] | map('string') | join('-') }}|{{ ['a', 'b'] | map('upper') | list }}|{{ users | map(attribute='age') | sum }}|{{ users | map(attribute='nick', default='?') | list }}", {"users": USERS}),
    ("f_select_reject", "{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3, 4] | reject('odd') | list }}|{{ [0, 1, '', 'a'] | select | list }}|{{ [1, 5, 9] | select('gt', 4) | list }}", {}),
    ("f_string_int_float", "{{ 12 | string }}|{{ '42' | int }}|{{ '4.7' | int }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ 3.9 | int }}|{{ '2.5' | float }}|{{ 3 | float }}|{{ 'q' | float }}|{{ '0x1A' | int(0, 16) }}", {}),
    ("f_safe_escape", "{{ '<b>' | safe }}|{{ '<a href=\"x\">&\\'' | escape }}|{{ '<i>' | e }}", {}),
    ("f_indent", "[{{ 'a\\nb\\n\\nc' | indent }}][{{ 'a\\nb' | indent(2, true) }}][{{ 'a\\n\\nb' | indent(2, blank=true) }}][{{ 'a\\nb' | indent('> ') }}][{{ 'a\\nb\\n' | indent(first=true) }}]", {}),
    ("f_capitalize_title", "{{ 'hello WORLD' | capitalize }}|{{ 'hello wORLD-foo (bar)' | title }}|{{ \"it's 2nd\" | title }}", {}),
    ("f_replace", "{{ 'aaa' | replace('a', 'b') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'abc' | replace('', '-') }}", {}),
    ("f_dictsort", "{{ d | dictsort }}|{{ d | dictsort(by='value', reverse=true) }}|{{ {'B': 1, 'a': 2} | dictsort }}|{{ {'B': 1, 'a': 2} | dictsort(true) }}", {"d": D}),
    ("f_list_unique", "{{ 'abc' | list }}|{{ [3, 1, 3, 2, 1] | unique | list }}|{{ ['a', 'A', 'b'] | unique | list }}|{{ d | list }}", {"d": D}),
    ("f_round", "{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 2.345 | round(2) }}|{{ 2.7 | round(0, 'floor') }}|{{ 2.1 | round(method='ceil') }}|{{ 3 | round }}|{{ -2.5 | round }}", {}),
    ("f_abs_sum_min_max", "{{ -3 | abs }}|{{ -2.5 | abs }}|{{ [1, 2, 3] | sum }}|{{ [1, 2] | sum(start=10) }}|{{ [3, 1, 2] | min }}|{{ [3, 1, 2] | max }}|{{ ['b', 'A', 'c'] | max }}|{{ users | max(attribute='age') }}", {"users": USERS}),
    ("f_reverse_sort", "{{ [1, 3, 2] | reverse | list }}|{{ 'abc' | reverse }}|{{ [3, 1, 2] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}|{{ users | sort(attribute='age') | map(attribute='name') | join(',') }}", {"users": USERS}),
    ("f_center_truncate", "[{{ 'ab' | center(6) }}][{{ 'hello world foo bar' | truncate(9) }}][{{ 'hello world foo bar' | truncate(9, true) }}][{{ 'short' | truncate(10) }}][{{ 'hello world foo' | truncate(11, false, '..', 0) }}]", {}),
    ("f_batch_wordcount", "{{ [1, 2, 3, 4, 5] | batch(2) | list }}|{{ [1, 2, 3] | batch(2, 'x') | list }}|{{ 'a b  c\\nd' | wordcount }}", {}),
    ("f_select_on_none", "{{ none | selectattr('type', 'equalto', 'x') | list | length }}|{{ none | map(attribute='a') | list }}|{{ '' | reject('odd') | list }}", {}),
    ("lazy_generator_truthy", "{{ 'T' if [] | select else 'F' }}|{{ 'T' if [] | list else 'F' }}|{{ 'T' if [] | reverse else 'F' }}|{{ [1, 2] | reverse | list }}|{{ [1, 2] | select | first }}", {}),
    ("lazy_generator_tojson_error", "{{ [1] | map('string') | tojson }}", {}),
    ("lazy_generator_length_error", "{{ [1] | select | length }}", {}),
    ("lazy_generator_index", "[{{ ([1, 2] | select)[0] }}]|{{ ([1, 2] | select | list)[0] }}|{{ [1] | select is sequence }}|{{ [1] | select is iterable }}", {}),
    ("lazy_generator_plus_error", "{{ [1] + ([2] | select) }}", {}),
    ("lazy_reverse_of_generator", "{{ [1, 2, 3] | select | reverse }}", {}),
    ("dict_views", "{{ d.items() }}|{{ d.keys() }}|{{ d.values() }}|{{ d.items() | length }}|{{ 'T' if {}.items() else 'F' }}|{{ d.keys() | first }}", {"d": {"a": 1, "b": [2]}}),
    ("dict_views_tojson_error", "{{ d.keys() | tojson }}", {"d": {"a": 1}}),
    ("range_object", "{{ range(3) | length }}|{{ range(5)[1] }}|{{ range(5)[1:3] | list }}|{{ range(3) is sequence }}|{{ 2 in range(3) }}", {}),
    ("markup_add_escapes", "{{ \"it's \"|safe + x + '<b>'|safe }}|{{ x + '&'|safe }}|{{ x|safe + x|safe }}|{{ '<'|e + '>' }}|{{ ('<'|safe) * 2 }}|{{ '<'|e|e }}|{{ ('<'|safe) ~ '<' }}", {"x": "a\"b'<"}),
    ("markup_functionary_idiom", "{{ \"Use '\"|safe + t.name + \"'\\n\"|safe + t | tojson }}", {"t": {"name": "f", "description": "d \"q\""}}),
    ("f_chain", "{{ '  Hello  ' | trim | lower | replace('l', 'L') | length }}", {}),
    ("f_unknown_error", "{{ 1 | nosuchfilter }}", {}),
    ("f_attr", "{{ d | attr('a') }}", {"d": {"a": 5}}),
    ("f_filter_on_neg", "{{ -3 | abs }}|{{ -(3 | abs) }}", {}),
    # --- tests ---
    ("t_defined", "{{ x is defined }}|{{ nope is defined }}|{{ nope is undefined }}|{{ x is not defined }}|{{ m.a is defined }}|{{ m.z is defined }}", {"x": 1, "m": {"a": None}}),
    ("t_types", "{{ none is none }}|{{ 'a' is string }}|{{ 1 is number }}|{{ 1.5 is number }}|{{ true is number }}|{{ 1 is integer }}|{{ 1.0 is integer }}|{{ 1.0 is float }}|{{ true is boolean }}|{{ 1 is boolean }}", {}),
    ("t_collections", "{{ {} is mapping }}|{{ [] is mapping }}|{{ [] is iterable }}|{{ 'a' is iterable }}|{{ 1 is iterable }}|{{ {} is sequence }}|{{ 'a' is sequence }}|{{ 3 is sequence }}|{{ nope is iterable }}", {}),
    ("t_true_false", "{{ true is true }}|{{ 1 is true }}|{{ false is false }}|{{ 0 is false }}|{{ none is false }}", {}),
    ("t_compare", "{{ 1 is eq 1 }}|{{ 1 is equalto 2 }}|{{ 1 is ne 2 }}|{{ 1 is lt 2 }}|{{ 2 is gt 1 }}|{{ 2 is le 2 }}|{{ 2 is ge 3 }}|{{ 'a' is == 'a' }}", {}),
    ("t_compare_parens", "{{ 1 is eq(1) }}|{{ x is sameas(x) }}|{{ x is sameas([1]) }}|{{ none is sameas none }}", {"x": [1]}),
    ("t_numbers", "{{ 4 is divisibleby 2 }}|{{ 5 is divisibleby(2) }}|{{ 3 is odd }}|{{ 3 is even }}|{{ 0 is even }}", {}),
    ("t_in", "{{ 1 is in [1, 2] }}|{{ 'a' is in 'cat' }}|{{ 'z' is in {'z': 1} }}", {}),
    ("t_callable_case", "{{ range is callable }}|{{ 1 is callable }}|{{ 'abc' is lower }}|{{ 'ABC' is upper }}|{{ 'aB' is lower }}", {}),
    ("t_negated_and_combined", "{{ x is not none and x is string }}|{{ not x is none }}", {"x": "s"}),
    ("t_unknown_error", "{{ 1 is nosuchtest }}", {}),
    # --- if ---
    ("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}other{% endif %},{% endfor %}", {}),
    ("if_nested", "{% if a %}{% if b %}ab{% else %}a{% endif %}{% endif %}", {"a": 1, "b": 0}),
    ("if_undefined_false", "{% if nope %}y{% else %}n{% endif %}{% if nope.x is defined %}{% endif %}", {}),
    # --- for ---
    ("for_basic", "{% for x in [1, 2, 3] %}{{ x }}{% endfor %}", {}),
    ("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {}),
    ("for_prev_next", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.previtem is defined }}]{% endfor %}", {}),
    ("for_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", {}),
    ("for_else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}|{% for x in nope %}{{ x }}{% else %}none{% endfor %}", {}),
    ("for_filter_if", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.index }}{{ loop.length }},{% endfor %}", {}),
    ("for_filter_else", "{% for x in [1, 2] if x > 5 %}{{ x }}{% else %}nothing{% endfor %}", {}),
    ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}:{{ v }},{% endfor %}", {"d": D}),
    ("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}|{% for k in d.keys() %}{{ k }}{% endfor %}|{% for v in d.values() %}{{ v }}{% endfor %}", {"d": D}),
    ("for_unpack_tuples", "{% for a, b in [(1, 2), [3, 4]] %}{{ a + b }},{% endfor %}", {}),
    ("for_unpack_error", "{% for a, b in [(1, 2, 3)] %}{% endfor %}", {}),
    ("for_string", "{% for c in 'hé!' %}[{{ c }}]{% endfor %}", {}),
    ("for_nested_loop", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("for_loop_changed", "{% for m in ['a', 'a', 'b', 'a'] %}{{ loop.changed(m) }},{% endfor %}|{{ loop is defined }}", {}),
    ("for_break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("for_scope", "{% set x = 0 %}{% for i in range(3) %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}|{{ i }}", {}),
    ("for_over_int_error", "{% for x in 5 %}{% endfor %}", {}),
    ("for_messages", "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% if not loop.last %}\n{% endif %}{% endfor %}", {"messages": MSGS}),
    ("range_forms", "{{ range(3) | list }}|{{ range(1, 4) | list }}|{{ range(10, 0, -3) | list }}|{{ range(0) | list }}", {}),
    # --- set / namespace ---
    ("set_basic", "{% set x = 5 %}{% set y = x * 2 %}{{ x }},{{ y }}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = 1, 2 %}{{ t }}", {}),
    ("set_block", "{% set x %}hello {{ 'world' }}{% endset %}[{{ x }}]", {}),
    ("set_block_filter", "{% set x | upper %}abc{% endset %}{{ x }}", {}),
    ("set_in_if_leaks", "{% if true %}{% set x = 1 %}{% endif %}{{ x }}", {}),
    ("namespace_basic", "{% set ns = namespace(found=false, n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% if i == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }},{{ ns.n }}", {}),
    ("namespace_missing_attr", "{% set ns = namespace() %}[{{ ns.x }}]{% set ns.x = 'y' %}{{ ns.x }}", {}),
    ("set_attr_non_namespace_error", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("set_overrides_ctx", "{% set messages = messages[1:] %}{{ messages | length }}", {"messages": MSGS}),
    # --- macros / call ---
    ("macro_basic", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }}|{{ greet('Al', 'Hi') }}|{{ greet(greeting='Yo', name='X') }}", {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}", {}),
    ("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ m(1) }}", {}),
    ("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * (fact(n - 1) | int) }}{% endif %}{% endmacro %}{{ fact(5) }}", {}),
    ("macro_sees_globals", "{% macro m() %}{{ x }}{% endmacro %}{{ m() }}", {"x": "ctx"}),
    ("macro_in_loop", "{% macro item(m) %}<{{ m.role }}>{% endmacro %}{% for m in messages %}{{ item(m) }}{% endfor %}", {"messages": MSGS}),
    ("macro_default_expr", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("macro_too_many_args_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("macro_unknown_kwarg_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, b=2) }}", {}),
    ("macro_kwargs_only_when_used", "{% macro m(a) %}{{ a }}|{{ kwargs | length }}{% endmacro %}{{ m(1, b=2, c=3) }}", {}),
    ("unknown_filter_in_dead_if_ok", "{% if false %}{{ x | nosuch }}{% endif %}ok", {}),
    ("unknown_filter_in_if_runtime_error", "{% if x %}{{ x | nosuch }}{% endif %}", {"x": 1}),
    ("unknown_filter_in_loop_error", "{% if x %}{% for a in [] %}{{ a | nosuch }}{% endfor %}{% endif %}ok", {"x": 0}),
    ("unknown_test_in_macro_error", "{% macro m() %}{{ 1 is nosuch }}{% endmacro %}ok", {}),
    ("unknown_filter_in_condexpr_ok", "{{ 1 if true else (2 | nosuch) }}", {}),
    ("percent_format", "{{ '%s-%d|%5.2f|%%|%r' % ('a', 7, 3.14159, 'q') }}|{{ 'x=%s' % 5 }}|{{ '%s and %s' | format('a', 'b') }}|{{ '%03d' % 7 }}", {}),
    ("percent_format_error", "{{ '%s %s' % ('a',) }}", {}),
    ("lex_braces_in_strings", "{{ '}}' }}|{% set x = '%}' %}{{ x }}|{{ '{{' ~ '{%' }}|{{ {'a': '}'}['a'] }}", {}),
    ("lex_comment_with_tags", "a{# {{ x }} {% if %} #}b", {}),
    ("lex_minus_number", "{{ 5-3 }}|{{ 5 -3 }}|{{ x-1 }}", {"x": 10}),
    ("lex_names_keywords", "{{ none_x }}|{{ true_ }}|{{ is_ok }}|{{ notx }}", {"none_x": 1, "true_": 2, "is_ok": 3, "notx": 4}),
    ("loop_over_items_last", "{% for k, v in d | dictsort %}{{ k }}{{ '' if loop.last else ',' }}{% endfor %}", {"d": D}),
    ("ns_in_macro", "{% macro m(ns) %}{% set ns.v = ns.v + 1 %}{% endmacro %}{% set ns = namespace(v=0) %}{{ m(ns) }}{{ m(ns) }}{{ ns.v }}", {}),
    ("set_multiline_ws", "{%- set x -%}\n  a\n{%- endset -%}\n[{{ x }}]", {}),
    ("var_minus_both", "a\n\n{{- 'b' -}}\n\nc", {}),
    ("unicode_whitespace", "[{{ s | trim }}][{{ s.strip() }}][{{ s.split() }}][{{ s.rstrip() }}][{{ 'a\u2028b' | indent(1) }}]", {"s": "\u00a0\u3000 a\u2003b \u00a0\u205f"}),
    ("unicode_whitespace_control", "x\u00a0\u3000{%- if true -%}\u3000\n\u00a0y{% endif %}|\u3000{% if true %}z{% endif %}", {}),
    ("unicode_case", "{{ s | upper }}|{{ s | lower }}|{{ s.title() }}|{{ s | title }}|{{ s | capitalize }}|{{ s.swapcase() }}|{{ 'straße'.upper() }}|{{ 'ÉCOLE' is upper }}|{{ '123' is lower }}|{{ 'ça' is lower }}", {"s": "héllo ÉCOLE naïve ωμέγα Привет ſ ÿ"}),
    ("with_block", "{% with a = 1, b = 'x' %}{{ a }}{{ b }}{% endwith %}[{{ a }}]", {}),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ 1 + 1 }}{% endcall %}", {}),
    ("call_block_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter replace('a', 'o') | upper %}banana{% endfilter %}", {}),
    ("generation_block", "A{% generation %}gen {{ 1 }}{% endgeneration %}B", {}),
    ("raw_block", "{% raw %}{{ not rendered }} {% if %}{% endraw %}|{{ 1 }}", {}),
    ("raw_block_ws", "x\n  {% raw %}\n  {{ a }}\n  {% endraw %}\ny", {}),
    ("raw_block_minus", "x {%- raw -%}  {{ a }}  {%- endraw -%}  y", {}),
    # --- string methods ---
    ("m_strip", "[{{ '  a  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'xyaxy'.strip('xy') }}][{{ '\\n a \\t'.strip() }}]", {}),
    ("m_split", "{{ 'a,b,,c'.split(',') }}|{{ ' a  b c '.split() }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a b c'.split(none, 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}", {}),
    ("m_starts_ends", "{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith('lo') }}|{{ 'hello'.startswith(('x', 'h')) }}|{{ 'hello'.endswith(('x', 'y')) }}", {}),
    ("m_replace_case", "{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'Hi'.upper() }}|{{ 'Hi'.lower() }}|{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}", {}),
    ("m_format", "{{ '{} + {} = {}'.format(1, 2, 3) }}|{{ '{1}{0}'.format('a', 'b') }}|{{ '{x}!'.format(x='hey') }}|{{ '{{}}{}'.format(5) }}|{{ '{:.2f}|{:>4}|{:<3}|'.format(3.14159, 'ab', 'c') }}", {}),
    ("m_find_count", "{{ 'hello'.find('l') }}|{{ 'hello'.find('z') }}|{{ 'hello'.rfind('l') }}|{{ 'hello'.count('l') }}|{{ '-'.join(['a', 'b']) }}", {}),
    ("m_misc", "{{ 'a\\nb'.splitlines() }}|{{ '12'.isdigit() }}|{{ 'ab'.isalpha() }}|{{ ' '.isspace() }}|{{ 'AB'.isupper() }}|{{ 'ab'.islower() }}|{{ '5'.zfill(3) }}", {}),
    ("m_list", "{{ [1, 2, 1].count(1) }}|{{ [1, 2, 3].index(2) }}", {}),
    ("m_list_append_unsafe", "{% set l = [] %}{% set _ = l.append(1) %}{{ l }}", {}),
    ("m_dict", "{{ d.get('a') }}|{{ d.get('z') }}|{{ d.get('z', 'dflt') }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.items() | list }}", {"d": D}),
    ("m_dict_update_unsafe", "{% set d = {} %}{% set _ = d.update({'a': 1}) %}{{ d }}", {}),
    ("m_on_undefined_error", "{{ nope.strip() }}", {}),
    ("m_dict_key_vs_method", "{{ d.items | length if false else 'x' }}|{{ d['items'] }}", {"d": {"items": 5}}),
    # --- globals ---
    ("g_raise_exception", "{{ raise_exception('Bad role: ' + 'x') }}", {}),
    ("g_raise_in_branch", "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% endfor %}", {"messages": MSGS}),
    ("g_strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%B %A') }}", {}),
    ("g_dict", "{{ dict(a=1, b='x') }}|{{ dict(a=1).a }}", {}),
    ("g_range_too_big_error", "{{ range(1000000) | length }}", {}),
    ("g_call_undefined_error", "{{ nope() }}", {}),
    ("g_call_non_callable_error", "{{ x() }}", {"x": 1}),
    # --- whitespace control ---
    ("ws_trim_blocks", "{% if true %}\nA\n{% endif %}\nB", {}),
    ("ws_lstrip_blocks", "  {% if true %}\n    A\n  {% endif %}\nB", {}),
    ("ws_lstrip_only_ws_before", "x {% if true %}y{% endif %} z", {}),
    ("ws_minus_left_right", "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c", {}),
    ("ws_var_minus", "a  {{- 'b' -}}  c|x\n{{- 1 }}\n", {}),
    ("ws_var_not_lstripped", "  {{ 'v' }}\n  {{ 'w' }}", {}),
    ("ws_plus_disables_lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("ws_plus_end_disables_trim", "{% if true +%}\nx{% endif %}", {}),
    ("ws_comment", "a{# c #}b\n  {# line comment #}\nc{#- strip -#}  d", {}),
    ("ws_comment_trim", "a\n{# c #}\nb", {}),
    ("ws_comment_multiline", "x{# multi\nline\ncomment #}y", {}),
    ("ws_trailing_newline_removed", "line\n", {}),
    ("ws_trailing_newlines_one_removed", "line\n\n", {}),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc", {}),
    ("ws_for_lines", "{% for x in [1, 2] %}\n  item {{ x }}\n{% endfor %}\n", {}),
    ("ws_indented_nested", "<ul>\n  {% for x in [1, 2] %}\n    {% if x %}\n    <li>{{ x }}</li>\n    {% endif %}\n  {% endfor %}\n</ul>", {}),
    ("ws_set_line", "  {% set x = 1 %}\n{{ x }}", {}),
    ("ws_tag_after_text_same_line", "text {% if true %}\nyes{% endif %}", {}),
    ("ws_tag_after_tag_same_line", "{% if true %}  {% if true %}\nin{% endif %}{% endif %}", {}),
    ("ws_minus_then_lstrip", "a\n   {%- if true %}b{% endif %}", {}),
    ("ws_block_end_minus_eats_lines", "{% if true -%}\n\n\n  x{% endif %}", {}),
    ("ws_tabs_lstrip", "\t\t{% if true %}x{% endif %}", {}),
    ("ws_text_only_spaces_line", "a\n   \n{% if true %}b{% endif %}", {}),
    ("ws_chat_like", "{% for message in messages %}\n    {% if message.role == 'user' %}\n        {{ '<|user|>\\n' + message.content + '<|end|>\\n' }}\n    {% else %}\n        {{ '<|' + message.role + '|>\\n' + message.content }}\n    {% endif %}\n{% endfor %}\n{% if add_generation_prompt %}\n    {{ '<|assistant|>\\n' }}\n{% endif %}", {"messages": MSGS, "add_generation_prompt": True}),
    ("ws_dict_literal_in_var", "{{ {'a': {'b': 1}} }}|{{ {'x': 1}['x'] }}", {}),
    ("ws_macro_body", "{% macro m() %}\n  body\n{% endmacro %}\n[{{ m() }}]", {}),
    ("ws_comment_lstrip", "x\n   {# c #}\ny", {}),
    # --- errors (syntax) ---
    ("err_unclosed_if", "{% if true %}x", {}),
    ("err_unclosed_for", "{% for x in y %}", {}),
    ("err_unknown_tag", "{% foo %}", {}),
    ("err_stray_endif", "{% endif %}", {}),
    ("err_bad_expr", "{{ 1 + }}", {}),
    ("err_unclosed_var", "{{ x ", {}),
    ("err_unclosed_comment", "{# x", {}),
    ("err_unbalanced_paren", "{{ (1 }}", {}),
    ("err_unexpected_close", "{{ 1) }}", {}),
    ("err_unclosed_string", "{{ 'abc }}", {}),
    ("err_break_outside_loop", "{% break %}", {}),
    ("err_missing_endmacro", "{% macro m() %}x", {}),
    ("err_elif_after_else", "{% if a %}{% else %}{% elif b %}{% endif %}", {}),
    ("err_chained_is", "{{ x is defined is defined }}", {}),
    ("err_empty_var", "{{ }}", {}),
    # --- misc chat-template idioms ---
    ("idiom_system_first", "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}{% set msgs = messages[1:] %}{% else %}{% set sys = 'default' %}{% set msgs = messages %}{% endif %}{{ sys }}|{% for m in msgs %}{{ m.role }}{% endfor %}", {"messages": MSGS}),
    ("idiom_alternation_check", "{% for m in messages %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}{% endfor %}ok", {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}),
    ("idiom_content_is_string", "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for c in m.content %}{% if c.type == 'text' %}{{ c.text }}{% endif %}{% endfor %}{% endif %};{% endfor %}", {"messages": [{"role": "user", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "t1"}, {"type": "image"}]}]}),
    ("idiom_tools_json", "{% for tool in tools %}{{ tool | tojson(indent=4) }}\n{% endfor %}", {"tools": [{"type": "function", "function": {"name": "get", "parameters": {"type": "object", "properties": {"x": {"type": "number", "description": "déjà"}}, "required": ["x"]}}}]}),
    ("idiom_tool_call_args", "{% for tc in m.tool_calls %}{{ tc.function.name }}({{ tc.function.arguments | tojson }}){% if tc.function.arguments is mapping %}M{% endif %}{% endfor %}", {"m": {"tool_calls": [{"function": {"name": "f", "arguments": {"a": 1, "b": [True, None]}}}]}}),
    ("idiom_loop_last_eos", "{% for m in messages %}{{ m.content }}{% if loop.last and add_generation_prompt %}<gen>{% endif %}{% endfor %}", {"messages": MSGS, "add_generation_prompt": True}),
    ("idiom_bos_eos", "{{ bos_token }}{% for m in messages %}{{ m.content + eos_token }}{% endfor %}", {"messages": MSGS, "bos_token": "<s>", "eos_token": "</s>"}),
    ("idiom_split_think", "{% set c = '<think>x</think>answer' %}{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ (c.split('<think>')[1]).split('</think>')[0] }}", {}),
    ("idiom_ns_last_user", "{% set ns = namespace(last=-1) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}{{ ns.last }}", {"messages": MSGS}),
    ("idiom_messages_reversed", "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}|{% for m in messages | reverse %}{{ m.role[:1] }}{% endfor %}", {"messages": MSGS}),
    ("idiom_inline_if_loop_filter", "{% for m in messages if m.role != 'system' %}{{ m.role }}{% endfor %}", {"messages": MSGS}),
    ("idiom_is_not_none", "{% if m.tool_calls is not none and m.tool_calls | length > 0 %}T{% else %}F{% endif %}", {"m": {"tool_calls": None}}),
    ("idiom_string_in_list", "{{ 'user' in ['user', 'assistant'] }}|{{ m.role in ('system', 'user') }}", {"m": {"role": "user"}}),
    ("idiom_keys_check", "{{ 'tool_calls' in m }}|{{ 'content' in m }}|{{ m.content is defined }}", {"m": {"content": "c"}}),
    ("idiom_default_in_expr", "{{ (m.name | default('anon')) ~ ':' ~ m.content }}", {"m": {"content": "c"}}),
    ("idiom_int_large", "{{ 9007199254740993 }}|{{ 2 ** 62 }}", {}),
    ("idiom_float_repr", "{{ 100.0 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.0001 }}|{{ 0.00001 }}|{{ 123456789012345678.0 }}|{{ -0.0 }}", {}),
    ("idiom_tojson_float", "{{ [1.0, 0.1, 1e20, 1e-7, 2.5] | tojson }}", {}),
]


def main():
    env = make_env()
    out = []
    for name, template, context in SNIPPETS:
        entry = {"name": name, "template": template, "context": context}
        try:
            entry["output"] = env.from_string(template).render(**context)
        except Exception as e:  # noqa: BLE001 - any jinja2 failure is an expected error
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    names = [e["name"] for e in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"duplicate snippet names: {sorted(dup)}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "golden", "jinja", "features.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum(1 for e in out if "error" in e)
    print(f"wrote {path}: {len(out)} snippets ({errors} expect an error)")


if __name__ == "__main__":
    main()
