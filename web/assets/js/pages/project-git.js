// A project's Git section: where to clone or push over SSH, and (mirrored projects) the
// webhook that makes a push on GitHub, GitLab, Gitea or Forgejo deploy at once.

import {h, replace} from '../dom.js';
import {api, projectPath} from '../api.js';
import {copyButton, errorBox, spinner, toast} from '../ui.js';

function commandRow(label, text, copyLabel) {
  return h('div', {class: 'command-row'},
    h('span', {class: 'command-label'}, label),
    h('code', {class: 'command'}, text),
    copyButton(text, copyLabel));
}

function webhookView(project, view, reload) {
  const origin = location.origin;
  const payloadUrl = origin + view.path;
  const turnOn = async () => {
    try {
      await api.post(projectPath(project.name, 'webhook', 'secret'), {});
      toast(view.enabled ? 'New webhook secret made: update it at the sender' : 'Webhooks are on', 'success');
      reload();
    } catch (e) { toast(e.message, 'error'); }
  };
  const turnOff = async () => {
    try {
      await api.del(projectPath(project.name, 'webhook', 'secret'));
      toast('Webhooks are off', 'success');
      reload();
    } catch (e) { toast(e.message, 'error'); }
  };
  if (!view.enabled) {
    return h('div', {class: 'stack'},
      h('p', null, 'Webhooks are off: the server fetches this project every few minutes. Turn them on to deploy ',
        'as soon as the Git host announces a push.'),
      h('div', null, h('button', {type: 'button', class: 'button', onclick: turnOn}, 'Turn on webhooks')));
  }
  return h('div', {class: 'stack'},
    h('dl', {class: 'kv'},
      h('div', null, h('dt', null, 'Payload URL'), h('dd', null, h('code', null, payloadUrl), ' ', copyButton(payloadUrl, 'Copy payload URL'))),
      h('div', null, h('dt', null, 'Secret'), h('dd', null, h('code', {class: 'masked'}, '••••••••••••'), ' ',
        copyButton(view.secret, 'Copy webhook secret'))),
      h('div', null, h('dt', null, 'Content type'), h('dd', null, h('code', null, view.content_type))),
      h('div', null, h('dt', null, 'Events'), h('dd', null, (view.events || []).join(', ')))),
    (view.senders || []).length ? h('details', {class: 'details'},
      h('summary', null, 'Where to enter these at GitHub, GitLab, Gitea, Forgejo'),
      h('ul', null, view.senders.map((s) => h('li', null, h('strong', null, s.name), ': ', s.where)))) : null,
    h('div', {class: 'button-row'},
      h('button', {type: 'button', class: 'button', onclick: turnOn}, 'New secret'),
      h('button', {type: 'button', class: 'button danger', onclick: turnOff}, 'Turn off webhooks')));
}

/** The section's element. */
export function gitSection(project) {
  const hosted = project.source && project.source.kind === 'hosted';
  const url = project.git_ssh_url;
  const webhook = h('div', {class: 'webhook'});
  const loadWebhook = async () => {
    replace(webhook, spinner());
    try {
      const view = await api.get(projectPath(project.name, 'webhook'));
      replace(webhook, h('h3', null, 'Webhook'), webhookView(project, view, loadWebhook));
    } catch (e) {
      // Only owners and admins see the webhook settings.
      replace(webhook, e.status === 403 || e.status === 404 ? null : errorBox(e));
    }
  };
  if (!hosted) loadWebhook();
  const branch = (project.branches && project.branches[0] && project.branches[0].name) || 'main';
  return h('section', {class: 'panel', 'aria-labelledby': 'git-heading'},
    h('h2', {id: 'git-heading'}, 'Git'),
    url ? h('div', {class: 'stack'},
      hosted
        ? h('p', null, 'Push to this repository over SSH: each push to a branch deploys it where a deployment follows it.')
        : h('p', null, 'The server mirrors ', h('code', null, project.source.url || ''), '. Clone the mirror over SSH:'),
      commandRow('Clone', `git clone ${url}`, 'Copy clone command'),
      hosted ? commandRow('Push', `git remote add stackyard ${url} && git push stackyard ${branch}`, 'Copy push command') : null,
      h('p', {class: 'hint'}, 'Git over SSH signs you in with a key: ', h('a', {href: '/account'}, 'add your SSH key'), ' first.'))
      : h('p', {class: 'muted'}, 'The SSH gateway is off on this server, so Git over SSH is not available.'),
    hosted ? null : webhook);
}
