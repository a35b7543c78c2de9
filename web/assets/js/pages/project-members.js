// A project's members: owners (and admins) add users, change roles and remove them.

import {h, replace, field} from '../dom.js';
import {api, projectPath, session} from '../api.js';
import {errorBox, openDialog, spinner, timeElement, toast} from '../ui.js';

export function membersSection(project) {
  const content = h('div', null, spinner());
  const errors = h('div');

  async function remove(member) {
    const answer = await openDialog({
      title: `Remove ${member.user}?`,
      body: h('p', null, `${member.user} loses access to ${project} and its deployments.`),
      actions: [{label: 'Cancel', value: null}, {label: 'Remove', kind: 'danger', value: 'remove'}],
    });
    if (answer !== 'remove') return;
    try {
      await api.del(projectPath(project, 'members', member.user));
      toast(`Removed ${member.user}`, 'success');
      reload();
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  function addForm() {
    const user = field('User', 'input', {type: 'text', autocomplete: 'off', spellcheck: 'false'});
    const role = field('Role', 'select', {value: 'member', options: [
      {value: 'member', label: 'Member: uses the project'},
      {value: 'owner', label: 'Owner: also manages members and settings'}]});
    return h('form', {class: 'inline-form', onsubmit: async (event) => {
      event.preventDefault();
      replace(errors);
      const name = user.input.value.trim();
      if (!name) {
        replace(errors, errorBox('Enter the user’s name.'));
        user.input.focus();
        return;
      }
      try {
        await api.post(projectPath(project, 'members'), {user: name, role: role.input.value});
        toast(`${name} is now ${role.input.value === 'owner' ? 'an owner' : 'a member'}`, 'success');
        reload();
      } catch (e) {
        replace(errors, errorBox(e));
      }
    }}, user.field, role.field, h('button', {type: 'submit', class: 'button'}, 'Add member'));
  }

  async function reload() {
    try {
      const {members} = await api.get(projectPath(project, 'members'));
      const me = session.user;
      const manage = me && (me.role === 'admin' || members.some((m) => m.user === me.name && m.role === 'owner'));
      replace(content,
        h('ul', {class: 'member-list'}, members.map((m) => h('li', null,
          h('span', {class: 'member-name'}, m.user),
          h('span', {class: ['tag', m.role === 'owner' ? 'tag-strong' : null]}, m.role),
          h('span', {class: 'muted small'}, 'added ', timeElement(m.added_at)),
          manage ? h('button', {type: 'button', class: 'button small danger-outline', 'aria-label': `Remove ${m.user}`,
            onclick: () => remove(m)}, 'Remove') : null))),
        manage ? addForm() : null, errors);
    } catch (e) {
      replace(content, errorBox(e));
    }
  }
  reload();
  return h('section', {class: 'panel', 'aria-labelledby': 'members-heading'},
    h('h2', {id: 'members-heading'}, 'Members'), content);
}
