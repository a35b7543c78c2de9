// A project's page: its deployments (live), the manifest at each branch's head with its
// errors, Git and webhook, trash and members.

import {h, replace} from '../dom.js';
import {api, projectPath} from '../api.js';
import {errorBox, openDialog, spinner, timeElement, toast} from '../ui.js';
import {projectDeployments} from './deployment-cards.js';
import {openNewDeploymentDialog} from './new-deployment.js';
import {diagnosticList} from './diagnostics.js';
import {sourceText} from './projects.js';
import {gitSection} from './project-git.js';
import {trashSection} from './project-trash.js';
import {membersSection} from './project-members.js';
import {navigate} from '../router.js';

const MANIFEST_WORDS = {valid: 'Valid', invalid: 'Invalid', missing: 'No stackyard.yaml'};

function manifestProblems(project) {
  const broken = (project.branches || []).filter((b) => b.manifest && b.manifest.state === 'invalid');
  if (!broken.length) return null;
  return h('section', {class: 'error-box manifest-errors', 'aria-labelledby': 'manifest-errors-heading'},
    h('h2', {id: 'manifest-errors-heading'}, broken.length === 1
      ? `The manifest on branch ${broken[0].name} has errors`
      : `The manifest has errors on ${broken.length} branches`),
    broken.map((b) => h('div', {class: 'manifest-branch'},
      broken.length > 1 ? h('h3', null, `Branch ${b.name}`) : null,
      diagnosticList(b.manifest.diagnostics || []))),
    h('p', {class: 'small'}, 'Deployments of these branches cannot be created or updated until the errors are fixed. ',
      'Check a manifest before pushing with ', h('code', null, 'yard stack validate'), '.'));
}

function branchesTable(project) {
  const branches = project.branches || [];
  if (!branches.length) {
    return h('p', {class: 'muted'}, 'No branches yet.',
      project.source && project.source.kind === 'hosted' ? ' Push one (see Git below).' : '');
  }
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table'},
    h('thead', null, h('tr', null, ['Branch', 'Head', 'Committed', 'Manifest'].map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', null, branches.map((b) => {
      const state = (b.manifest && b.manifest.state) || 'missing';
      const errors = (b.manifest && b.manifest.diagnostics || []).filter((d) => d.severity === 'error').length;
      return h('tr', null,
        h('td', null, h('code', null, b.name)),
        h('td', null, h('code', {title: b.commit}, (b.commit || '').slice(0, 10)), ' ',
          h('span', {class: 'muted'}, b.subject || '')),
        h('td', null, timeElement(b.committed_at), b.author ? h('span', {class: 'muted'}, ` by ${b.author}`) : null),
        h('td', null, h('span', {class: ['tag', state === 'valid' ? 'tag-green' : state === 'invalid' ? 'tag-red' : null]},
          MANIFEST_WORDS[state] || state, state === 'invalid' ? ` (${errors} error${errors === 1 ? '' : 's'})` : '')));
    }))));
}

async function refresh(project, reload) {
  try {
    await api.post(projectPath(project.name, 'refresh'), {});
    toast(`Fetched ${project.name}`, 'success');
    reload();
  } catch (e) {
    toast(`Fetching failed: ${e.message}`, 'error');
  }
}

async function deleteProject(project, live) {
  if (live.count() > 0) {
    await openDialog({
      title: `Delete ${project.name}?`,
      body: h('p', null, `The project still has ${live.count()} deployment(s): delete them first, from each deployment's Settings tab.`),
      actions: [{label: 'OK', value: null}],
    });
    return;
  }
  const answer = await openDialog({
    title: `Delete ${project.name}?`,
    body: h('p', null, 'The project and its repository on this server are removed. This cannot be undone.'),
    actions: [{label: 'Cancel', value: null}, {label: 'Delete project', kind: 'danger', value: 'delete'}],
  });
  if (answer !== 'delete') return;
  try {
    await api.del(projectPath(project.name));
    toast(`Deleted ${project.name}`, 'success');
    navigate('/projects');
  } catch (e) {
    toast(e.message, 'error');
  }
}

export async function renderProject(root, params, ctx) {
  const name = params.project;
  ctx.setCrumbs([]);
  ctx.setTitle(name);
  let live = null;
  let closed = false;
  const cleanup = () => {
    closed = true;
    if (live) live.close();
  };

  async function draw() {
    replace(root, h('h1', null, name), spinner('Loading the project'));
    let project;
    try {
      project = await api.get(projectPath(name));
    } catch (e) {
      replace(root, h('h1', null, name), errorBox(e));
      return;
    }
    if (closed) return;
    if (live) live.close();
    live = projectDeployments(name, {
      empty: () => h('div', {class: 'empty-state small'},
        h('p', null, 'No deployments yet. A deployment runs the stack of one branch in one stage: ',
          'development (your code in a volume, reachable over SSH) or a built stage such as production.'),
        h('button', {type: 'button', class: 'button primary', onclick: () => openNewDeploymentDialog(project)}, 'New deployment')),
    });
    const trash = trashSection(name, {onRestored: () => live.refresh()});
    const mirrored = project.source && project.source.kind !== 'hosted';
    replace(root,
      h('div', {class: 'page-head'},
        h('div', null,
          h('h1', null, project.name),
          h('p', {class: 'muted small'}, sourceText(project),
            mirrored && project.refreshed_at ? [' · fetched ', timeElement(project.refreshed_at)] : null)),
        h('div', {class: 'page-actions'},
          h('button', {type: 'button', class: 'button primary', onclick: () => openNewDeploymentDialog(project)}, 'New deployment'),
          mirrored ? h('button', {type: 'button', class: 'button', onclick: () => refresh(project, draw)}, 'Fetch now') : null,
          h('button', {type: 'button', class: 'button danger-outline', onclick: () => deleteProject(project, live)}, 'Delete project'))),
      project.refresh_error ? h('div', {class: 'error-box', role: 'alert'}, `The last fetch failed: ${project.refresh_error}`) : null,
      manifestProblems(project),
      h('section', {class: 'panel plain', 'aria-labelledby': 'deployments-heading'},
        h('h2', {id: 'deployments-heading'}, 'Deployments'), live.element),
      h('section', {class: 'panel', 'aria-labelledby': 'branches-heading'},
        h('h2', {id: 'branches-heading'}, 'Branches'), branchesTable(project)),
      gitSection(project),
      trash.element,
      membersSection(name));
  }
  await draw();
  return cleanup;
}
