// The sign-in page: a username and password, or an API token (what `yard login` uses).

import {h, replace, field} from '../dom.js';
import {signIn} from '../api.js';
import {errorBox} from '../ui.js';
import {tabList} from './tabs.js';

function passwordForm(submit) {
  const username = field('Username', 'input', {
    type: 'text', name: 'username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: 'false', required: true});
  const password = field('Password', 'input', {
    type: 'password', name: 'password', autocomplete: 'current-password', required: true});
  const form = h('form', {class: 'stack', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    if (!username.input.value.trim()) return submit.fail('Enter your username.', username.input);
    if (!password.input.value) return submit.fail('Enter your password.', password.input);
    return submit.send({username: username.input.value.trim(), password: password.input.value}, form);
  }},
  username.field, password.field,
  h('button', {type: 'submit', class: 'button primary wide'}, 'Sign in'));
  return {form, first: username.input};
}

function tokenForm(submit) {
  const token = field('API token', 'input', {
    type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true,
    placeholder: 'yard_…'},
  'A token from `yard tokens create`, or the admin token the server wrote to DATA_DIR/admin.token.');
  const form = h('form', {class: 'stack', novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const value = token.input.value.trim();
    if (!value) return submit.fail('Enter an API token.', token.input);
    return submit.send({token: value}, form);
  }},
  token.field,
  h('button', {type: 'submit', class: 'button primary wide'}, 'Sign in'));
  return {form, first: token.input};
}

/** Renders the sign-in page into root; onSignedIn(next) is called after a sign-in. */
export function renderLogin(root, {next, onSignedIn}) {
  const errors = h('div', {class: 'login-errors'});
  const submit = {
    fail(message, input) {
      replace(errors, errorBox(message));
      if (input) input.focus();
    },
    async send(body, form) {
      const buttons = form.querySelectorAll('button, input');
      buttons.forEach((b) => { b.disabled = true; });
      form.setAttribute('aria-busy', 'true');
      replace(errors);
      try {
        await signIn(body);
      } catch (e) {
        buttons.forEach((b) => { b.disabled = false; });
        form.removeAttribute('aria-busy');
        const message = e.status === 401
          ? (body.token ? 'That API token is not valid: it is unknown, revoked or expired.'
            : 'Wrong username or password.')
          : e.message;
        submit.fail(message, form.querySelector('input[type=password]'));
        return;
      }
      onSignedIn(next);
    },
  };
  const password = passwordForm(submit);
  const token = tokenForm(submit);
  const tabs = tabList('Sign in with', [
    {id: 'password', label: 'Password', panel: password.form},
    {id: 'token', label: 'API token', panel: token.form},
  ], {onChange: () => replace(errors), labelPanels: false});

  replace(root,
    h('main', {id: 'main', class: 'login-page', tabindex: '-1'},
      h('div', {class: 'login-card card'},
        h('div', {class: 'login-brand'},
          h('img', {src: '/assets/favicon.svg', alt: '', width: 32, height: 32}),
          h('h1', null, 'Sign in to Stackyard')),
        errors,
        tabs.element),
      h('p', {class: 'login-foot muted'},
        'No account? An admin creates one with ', h('code', null, 'yard users create NAME'), '.')));
  password.first.focus();
  return null;
}
