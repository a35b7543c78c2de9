// Building DOM nodes without a framework. Text always goes in as text nodes, never as HTML, so
// nothing a deployment prints (logs, names, env values) can inject markup into the page.

/**
 * h('button', {class: 'primary', onclick: fn, 'aria-label': 'Copy'}, 'Copy')
 * attrs: `class` (string or array, falsy entries dropped), `on<event>` functions, `dataset`
 * (object), `style` (object of properties, set through the CSSOM: allowed by the CSP), boolean
 * attributes as true/false, anything else as an attribute (null/undefined/false: left out).
 * children: nodes, strings, numbers, arrays of them; null, undefined and false are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = v;
    } else if (key === 'style' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) el.style.setProperty(k, v);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) {
      el.value = value;
    } else if (key === 'checked' || key === 'disabled' || key === 'selected') {
      el[key] = Boolean(value);
      if (value) el.setAttribute(key, '');
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (the same kinds h() takes) to el. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Removes every child of el. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replaces el's children. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** A unique id for label/for and aria-* pairs. */
let nextId = 0;
export function uid(prefix = 'id') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled form field: returns {field, input}; `input` is built by h(tag, attrs). */
export function field(label, tag, attrs = {}, hint = null) {
  const id = attrs.id || uid('field');
  const hintId = hint ? `${id}-hint` : null;
  const children = tag === 'select' ? (attrs.options || []).map((o) =>
    h('option', {value: o.value ?? o, selected: (o.value ?? o) === attrs.value}, o.label ?? o)) : [];
  const {options, ...rest} = attrs;
  const input = h(tag, {...rest, id, 'aria-describedby': hintId}, children);
  const f = h('div', {class: 'field'},
    h('label', {for: id}, label),
    input,
    hint ? h('p', {class: 'hint', id: hintId}, hint) : null);
  return {field: f, input};
}
