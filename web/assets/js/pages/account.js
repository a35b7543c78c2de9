// The account page: who you are, your password, API tokens and SSH keys.

import {h, replace, field} from '../dom.js';
import {api, session} from '../api.js';
import {errorBox, spinner, timeElement, toast} from '../ui.js';
import {tokensSection, keysSection} from './account-credentials.js';

function passwordSection() {
  const current = field('Current password', 'input', {type: 'password', autocomplete: 'current-password'},
    'Leave it empty if you have never had a password (you signed in with a token).');
  const next = field('New password', 'input', {type: 'password', autocomplete: 'new-password', minlength: 8},
    'At least 8 characters. Your other sessions are signed out.');
  const repeat = field('Type it again', 'input', {type: 'password', autocomplete: 'new-password'});
  const result = h('div');
  const form = h('form', {class: 'stack narrow-form', novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    replace(result);
    if (next.input.value.length < 8) {
      replace(result, errorBox('The new password needs at least 8 characters.'));
      next.input.focus();
      return;
    }
    if (next.input.value !== repeat.input.value) {
      replace(result, errorBox('The two new passwords differ.'));
      repeat.input.focus();
      return;
    }
    const body = {password: next.input.value};
    if (current.input.value) body.current_password = current.input.value;
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await api.put('/users/me/password', body);
      form.reset();
      replace(result, h('p', {class: 'success-box', role: 'status'}, 'Password changed. Your other sessions are signed out.'));
    } catch (e) {
      replace(result, errorBox(e));
    } finally {
      button.disabled = false;
    }
  }},
  current.field, next.field, repeat.field,
  h('div', null, h('button', {type: 'submit', class: 'button primary'}, 'Change password')),
  result);
  return h('section', {class: 'panel', 'aria-labelledby': 'password-heading'},
    h('h2', {id: 'password-heading'}, 'Password'), form);
}

export async function renderAccount(root, params, ctx) {
  ctx.setCrumbs([]);
  ctx.setTitle('Account');
  const user = session.user;
  const profile = h('div', null, spinner());
  replace(root,
    h('div', {class: 'page-head'}, h('h1', null, 'Account')),
    profile,
    passwordSection(),
    tokensSection(),
    keysSection());
  try {
    const me = await api.get('/users/me');
    replace(profile, h('dl', {class: 'kv panel plain'},
      h('div', null, h('dt', null, 'User'), h('dd', null, me.name)),
      h('div', null, h('dt', null, 'Role'), h('dd', null, me.role)),
      h('div', null, h('dt', null, 'Member since'), h('dd', null, timeElement(me.created_at))),
      session.expires_at ? h('div', null, h('dt', null, 'This session ends'), h('dd', null, timeElement(session.expires_at))) : null));
  } catch (e) {
    replace(profile, user ? h('p', null, `Signed in as ${user.name}`) : errorBox(e));
    if (!user) toast(e.message, 'error');
  }
  return null;
}
