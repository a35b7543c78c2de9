// API tokens (create: the secret is shown once; revoke) and SSH keys (add, remove) of the
// signed-in user.

import {h, replace, field} from '../dom.js';
import {api} from '../api.js';
import {copyButton, errorBox, openDialog, spinner, timeElement, toast} from '../ui.js';

async function confirm(title, text, label) {
  const answer = await openDialog({
    title,
    body: h('p', null, text),
    actions: [{label: 'Cancel', value: null}, {label, kind: 'danger', value: 'yes'}],
  });
  return answer === 'yes';
}

function table(headings, rows) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
    h('thead', null, h('tr', null, headings.map((t) =>
      h('th', {scope: 'col'}, t || h('span', {class: 'visually-hidden'}, 'Actions'))))),
    h('tbody', null, rows)));
}

function showSecret(token, secret) {
  const text = h('code', {class: 'secret', dataset: {testid: 'token-secret'}}, secret);
  return openDialog({
    title: `Token “${token.name || token.prefix}” created`,
    body: h('div', {class: 'stack'},
      h('p', null, 'Copy the token now: it is shown only this once. The server keeps only its hash.'),
      h('div', {class: 'command-row'}, text, copyButton(secret, 'Copy token')),
      h('p', {class: 'hint'}, 'Use it with ', h('code', null, 'yard login --token'),
        ' or as ', h('code', null, 'Authorization: Bearer …'), ' in scripts.')),
    actions: [{label: 'Done', kind: 'primary', value: 'done'}],
  });
}

export function tokensSection() {
  const content = h('div', null, spinner());
  const errors = h('div');
  const name = field('Token name', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'ci'});
  const days = field('Expires in days', 'input', {type: 'number', min: 1, max: 3650, inputmode: 'numeric', placeholder: 'never'});
  const form = h('form', {class: 'inline-form', onsubmit: async (event) => {
    event.preventDefault();
    replace(errors);
    const body = {};
    if (name.input.value.trim()) body.name = name.input.value.trim();
    if (days.input.value) body.expires_in_days = Number(days.input.value);
    try {
      const created = await api.post('/users/me/tokens', body);
      form.reset();
      reload();
      await showSecret(created.token, created.secret);
    } catch (e) {
      replace(errors, errorBox(e));
    }
  }}, name.field, days.field, h('button', {type: 'submit', class: 'button'}, 'Create token'));

  async function revoke(token) {
    const label = token.name || token.prefix;
    if (!await confirm(`Revoke ${label}?`, 'Scripts and CLIs that use this token can no longer sign in with it.', 'Revoke')) return;
    try {
      await api.del(`/users/me/tokens/${token.id}`);
      toast(`Revoked ${label}`, 'success');
      reload();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function reload() {
    try {
      const {tokens} = await api.get('/users/me/tokens');
      replace(content, tokens.length ? table(['Name', 'Prefix', 'Created', 'Last used', 'Expires', ''],
        tokens.map((t) => h('tr', {dataset: {testid: 'token-row'}},
          h('td', null, t.name || h('span', {class: 'muted'}, 'unnamed'), t.current ? h('span', {class: 'tag'}, 'this session') : null),
          h('td', null, h('code', null, `${t.prefix}…`)),
          h('td', null, timeElement(t.created_at)),
          h('td', null, t.last_used_at ? timeElement(t.last_used_at) : h('span', {class: 'muted'}, 'never')),
          h('td', null, t.expires_at ? timeElement(t.expires_at) : h('span', {class: 'muted'}, 'never')),
          h('td', {class: 'row-actions'}, h('button', {type: 'button', class: 'button small danger-outline',
            'aria-label': `Revoke ${t.name || t.prefix}`, onclick: () => revoke(t)}, 'Revoke')))))
        : h('p', {class: 'muted'}, 'No API tokens. Create one for the CLI or for scripts.'));
    } catch (e) {
      replace(content, errorBox(e));
    }
  }
  reload();
  return h('section', {class: 'panel', 'aria-labelledby': 'tokens-heading'},
    h('h2', {id: 'tokens-heading'}, 'API tokens'), content,
    h('h3', null, 'New token'), form, errors);
}

export function keysSection() {
  const content = h('div', null, spinner());
  const errors = h('div');
  const key = field('Public key', 'textarea', {rows: 3, spellcheck: 'false', class: 'mono',
    placeholder: 'ssh-ed25519 AAAA… you@laptop'}, 'The contents of ~/.ssh/id_ed25519.pub (or another .pub file).');
  const name = field('Key name', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'the key’s comment'});
  const form = h('form', {class: 'stack key-form', onsubmit: async (event) => {
    event.preventDefault();
    replace(errors);
    const body = {public_key: key.input.value.trim()};
    if (!body.public_key) {
      replace(errors, errorBox('Paste a public key.'));
      key.input.focus();
      return;
    }
    if (name.input.value.trim()) body.name = name.input.value.trim();
    try {
      const added = await api.post('/users/me/keys', body);
      form.reset();
      toast(`Added ${added.key.name}`, 'success');
      reload();
    } catch (e) {
      replace(errors, errorBox(e));
    }
  }}, key.field, name.field, h('div', null, h('button', {type: 'submit', class: 'button'}, 'Add key')));

  async function remove(k) {
    if (!await confirm(`Remove ${k.name}?`, 'SSH logins and Git pushes with this key stop working.', 'Remove')) return;
    try {
      await api.del(`/users/me/keys/${k.id}`);
      toast(`Removed ${k.name}`, 'success');
      reload();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function reload() {
    try {
      const {keys} = await api.get('/users/me/keys');
      replace(content, keys.length ? table(['Name', 'Type', 'Fingerprint', 'Added', 'Last used', ''],
        keys.map((k) => h('tr', {dataset: {testid: 'key-row'}},
          h('td', null, k.name),
          h('td', null, `${k.type} (${k.bits})`),
          h('td', null, h('code', {class: 'break'}, k.fingerprint)),
          h('td', null, timeElement(k.created_at)),
          h('td', null, k.last_used_at ? timeElement(k.last_used_at) : h('span', {class: 'muted'}, 'never')),
          h('td', {class: 'row-actions'}, h('button', {type: 'button', class: 'button small danger-outline',
            'aria-label': `Remove ${k.name}`, onclick: () => remove(k)}, 'Remove')))))
        : h('p', {class: 'muted'}, 'No SSH keys. Add one to reach deployments over SSH and to push to hosted projects.'));
    } catch (e) {
      replace(content, errorBox(e));
    }
  }
  reload();
  return h('section', {class: 'panel', 'aria-labelledby': 'keys-heading'},
    h('h2', {id: 'keys-heading'}, 'SSH keys'), content,
    h('h3', null, 'Add a key'), form, errors);
}
